using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Connect;

/// <summary>
/// Issue 9's attack, end to end on loopback: Hank, a signed-in ERP user, asks for an authorize link and sends it to
/// Ivy; Ivy signs in at RingCentral as herself. Before the fix Ivy's tokens landed in Hank's row. Now the Callback
/// stores nothing, Ivy's session cannot finish Hank's flow (403), and Hank's state is no ticket (400).
/// </summary>
public sealed class SessionBindingTests
{
    private const string HankEmail = "hank@rebar.test", IvyEmail = "ivy@rebar.test";

    private static async Task<(ServiceHost Host, Guid Hank, Guid Ivy, string HankState, CallbackOutcome AtIvy)> AttackAsync()
    {
        var host = await ServiceHost.StartAsync();
        var (hank, ivy) = (Guid.NewGuid(), Guid.NewGuid());
        var link = await host.GetAuthUrlAsync(hank, HankEmail);

        // Hank edits login_hint (nothing covers it) and Ivy signs in at RingCentral as herself.
        var uri = new Uri(link);
        var query = QueryHelpers.ParseQuery(uri.Query).ToDictionary(q => q.Key, q => (string?)q.Value.ToString());
        var hankState = query["state"]!;
        query["login_hint"] = IvyEmail;
        var callbackUrl = await host.AuthorizeAsync(QueryHelpers.AddQueryString(uri.GetLeftPart(UriPartial.Path), query));

        // RingCentral sends Ivy's browser to the Callback with her code and Hank's state.
        var atIvy = await host.CallbackAsync(callbackUrl);
        return (host, hank, ivy, hankState, atIvy);
    }

    private static void AssertNothingStoredForAnyone(ServiceHost host)
    {
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
        // At most the refusal of the flow is recorded (Ivy's 403); no row is written.
        Assert.DoesNotContain(host.Supabase.RequestsTo("POST", "/rest/v1/"), r => r.Path != "/rest/v1/rpc/ringcentral_oauth_refuse");
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Empty(host.RingCentral.Issued);
    }

    [Fact]
    public async Task Hanks_link_used_by_ivy_stores_nothing_for_anyone()
    {
        var (host, _, _, _, atIvy) = await AttackAsync();
        await using var _ = host;

        Assert.Equal("success", atIvy.Status); // the popup lands on the ERP page, whose window has no flow to finish
        Assert.DoesNotContain("email", atIvy.Query.Keys);
        AssertNothingStoredForAnyone(host);
    }

    [Fact]
    public async Task Ivys_own_session_posting_the_ticket_gets_403_and_nothing_is_stored()
    {
        var (host, _, ivy, _, atIvy) = await AttackAsync();
        await using var _ = host;

        var outcome = await host.CompleteAsync(ivy, atIvy.Ticket, IvyEmail);

        Assert.Equal(HttpStatusCode.Forbidden, outcome.StatusCode);
        Assert.Equal(CompleteEndpoint.OtherUser, outcome.Error);
        AssertNothingStoredForAnyone(host);
    }

    [Fact]
    public async Task Hank_posting_his_state_as_a_ticket_gets_400_and_nothing_is_stored()
    {
        var (host, hank, _, hankState, _) = await AttackAsync();
        await using var _ = host;

        var outcome = await host.CompleteAsync(hank, hankState, HankEmail);

        Assert.Equal(HttpStatusCode.BadRequest, outcome.StatusCode);
        Assert.Equal(CompleteEndpoint.InvalidTicket, outcome.Error);
        AssertNothingStoredForAnyone(host);
        var failed = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectFailed");
        Assert.Equal("ticket_wrongpurpose", failed.StructuredState!.Single(kv => kv.Key == "Reason").Value);
    }

    [Fact]
    public async Task A_ticket_posted_to_the_callback_as_a_state_is_refused()
    {
        var (host, _, _, _, atIvy) = await AttackAsync();
        await using var _ = host;

        var outcome = await host.CallbackAsync($"/api/ringcentral/callback?code=abc&state={atIvy.Ticket}");

        Assert.Equal("error", outcome.Status);
        Assert.Null(outcome.Ticket);
        AssertNothingStoredForAnyone(host);
    }
}
