using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Replay;

/// <summary>
/// One flow completed again (a replayed callback's new ticket, the same ticket twice, two posts at once, a replay on
/// another instance) never sends the code to RingCentral a second time, so RingCentral never revokes the stored
/// tokens (the fake revokes every token of a code redeemed twice, RFC 6749 section 4.1.2): the stored refresh token
/// still works, proved by redeeming it at the fake's token endpoint as the other ERP functions do.
/// </summary>
public sealed class ReplayTests
{
    private const string Email = "replay@rebar.test";

    /// <summary>Redeems <paramref name="refreshToken"/> with the refresh grant; true when RingCentral accepts it.</summary>
    private static async Task<bool> RefreshWorksAsync(FakeRingCentral ringCentral, string refreshToken)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, ringCentral.Url + "/restapi/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}")));
        using var response = await client.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK;
    }

    private static string StoredRefreshToken(ServiceHost host, Guid user) =>
        (string)host.Supabase.Row(FakeSupabase.TokensTable, user)!["refresh_token"]!;

    private static async Task AssertOneExchangeAndAWorkingConnectionAsync(ServiceHost host, Guid user)
    {
        Assert.Single(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Empty(host.RingCentral.ReplayedCodes);
        var stored = StoredRefreshToken(host, user);
        Assert.Equal(Assert.Single(host.RingCentral.Issued).RefreshToken, stored);
        Assert.True(await RefreshWorksAsync(host.RingCentral, stored), "the stored refresh token was killed");
    }

    [Fact]
    public async Task Control_the_fake_revokes_every_token_of_a_code_redeemed_twice()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        var callback = await host.CallbackAsync(await host.AuthorizeAsync(await host.GetAuthUrlAsync(user)));
        Assert.Equal(HttpStatusCode.OK, (await host.CompleteAsync(user, callback.Ticket)).StatusCode);
        var stored = StoredRefreshToken(host, user);
        var sent = Assert.Single(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));

        // What the old Callback did on a replay: send the same code again.
        using var client = new HttpClient();
        using var replay = new HttpRequestMessage(HttpMethod.Post, host.RingCentral.Url + "/restapi/oauth/token")
        {
            Content = new StringContent(sent.Body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        replay.Headers.TryAddWithoutValidation("Authorization", sent.Header("Authorization"));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(replay)).StatusCode);

        Assert.False(host.RingCentral.IsAlive(stored));
        Assert.False(await RefreshWorksAsync(host.RingCentral, stored));
    }

    [Fact]
    public async Task A_replayed_callback_gives_a_new_ticket_whose_complete_answers_the_stored_connection_without_ringcentral()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        var callbackUrl = await host.AuthorizeAsync(await host.GetAuthUrlAsync(user, Email));
        var first = await host.CallbackAsync(callbackUrl);
        Assert.Equal(HttpStatusCode.OK, (await host.CompleteAsync(user, first.Ticket)).StatusCode);

        var replayed = await host.CallbackAsync(callbackUrl); // browser back, refresh or a double load
        Assert.NotEqual(first.Ticket, replayed.Ticket);
        var again = await host.CompleteAsync(user, replayed.Ticket);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(Email, again.Email);
        await AssertOneExchangeAndAWorkingConnectionAsync(host, user);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectReplayed");
    }

    [Fact]
    public async Task The_same_ticket_posted_twice_exchanges_once()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        var callback = await host.CallbackAsync(await host.AuthorizeAsync(await host.GetAuthUrlAsync(user, Email)));

        var first = await host.CompleteAsync(user, callback.Ticket);
        var second = await host.CompleteAsync(user, callback.Ticket);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(Email, second.Email);
        await AssertOneExchangeAndAWorkingConnectionAsync(host, user);
    }

    [Fact]
    public async Task Completes_of_one_flow_at_once_share_one_exchange()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        var callbackUrl = await host.AuthorizeAsync(await host.GetAuthUrlAsync(user, Email));
        var tickets = new[] { (await host.CallbackAsync(callbackUrl)).Ticket, (await host.CallbackAsync(callbackUrl)).Ticket };
        // Slow the exchange so every post arrives while the first is still running.
        host.RingCentral.AddedDelay = TimeSpan.FromMilliseconds(700);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => host.CompleteAsync(user, tickets[i % 2])));

        Assert.All(outcomes, o => Assert.Equal(HttpStatusCode.OK, o.StatusCode));
        Assert.All(outcomes, o => Assert.Equal(Email, o.Email));
        await AssertOneExchangeAndAWorkingConnectionAsync(host, user);
    }

    [Fact]
    public async Task A_replay_on_another_instance_is_answered_from_the_stored_row_without_ringcentral()
    {
        await using var a = await ServiceHost.StartAsync();
        var b = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["OAuth:StateKey"] = a.StateKey,
            ["OAuth:CallbackUrl"] = a.CallbackUrl,
        }, ringCentral: a.RingCentral, supabase: a.Supabase);
        try
        {
            var user = Guid.NewGuid();
            var callbackUrl = await a.AuthorizeAsync(await a.GetAuthUrlAsync(user, Email));
            var first = await a.CallbackAsync(callbackUrl);
            Assert.Equal(HttpStatusCode.OK, (await a.CompleteAsync(user, first.Ticket)).StatusCode);

            var onB = await b.CompleteAsync(user, first.Ticket);
            var replayedOnB = await b.CompleteAsync(user, (await b.CallbackAsync(callbackUrl.PathAndQuery)).Ticket);

            Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
            Assert.Equal(Email, onB.Email);
            Assert.Equal(HttpStatusCode.OK, replayedOnB.StatusCode);
            await AssertOneExchangeAndAWorkingConnectionAsync(a, user);
        }
        finally
        {
            b.Client.Dispose();
            await b.App.StopAsync();
            await b.App.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_replay_after_a_newer_connection_is_refused_and_the_newer_connection_keeps_working()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        var oldCallback = await host.AuthorizeAsync(await host.GetAuthUrlAsync(user, "old@rebar.test"));
        var oldTicket = (await host.CallbackAsync(oldCallback)).Ticket;
        Assert.Equal(HttpStatusCode.OK, (await host.CompleteAsync(user, oldTicket)).StatusCode);
        Assert.Equal("success", (await host.ConnectAsync(user, "new@rebar.test")).Status);
        var stored = StoredRefreshToken(host, user);

        var replay = await host.CompleteAsync(user, oldTicket);

        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        Assert.Equal(CallbackMessages.AlreadyUsed, replay.Error);
        Assert.Equal(2, host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count());
        Assert.Equal("new@rebar.test", (string?)host.Supabase.Row(FakeSupabase.ConnectionsTable, user)!["config"]!["rc_email"]);
        Assert.True(await RefreshWorksAsync(host.RingCentral, stored));
    }

    [Fact]
    public async Task A_replay_of_a_flow_that_failed_is_refused_without_sending_the_code_again()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        var callback = await host.CallbackAsync(await host.AuthorizeAsync(await host.GetAuthUrlAsync(user)));
        host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(503, "", Times: 1));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.CompleteAsync(user, callback.Ticket)).StatusCode);

        var again = await host.CompleteAsync(user, callback.Ticket);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Single(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
    }
}
