using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// Revocation is best effort: whatever RingCentral's revoke endpoint does, Disconnect answers 200
/// <c>{"success":true}</c>, deletes exactly the caller's two rows, and logs the failed revocation.
/// </summary>
public sealed class DisconnectFaultTests
{
    internal static async Task DisconnectsDespiteAsync(Fault fault)
    {
        await using var host = await ServiceHost.StartAsync();
        var (user, bystander) = (Guid.NewGuid(), Guid.NewGuid());
        await host.ConnectAsync(user, "jane@rebar.test");
        await host.ConnectAsync(bystander, "bob@rebar.test");
        var bystanderRow = host.Supabase.Row(FakeSupabase.TokensTable, bystander)!.ToJsonString();
        host.RingCentral.Inject(FakeRingCentral.RevokeRoute, fault);

        var clock = Stopwatch.StartNew();
        using var response = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", host.Supabase.MintAccessToken(user)));
        var elapsed = clock.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"success":true}""", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetRawText());
        Assert.InRange(elapsed, TimeSpan.Zero, ReconnectScenario.CallbackBound);
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Null(host.Supabase.Row(FakeSupabase.ConnectionsTable, user));
        Assert.Equal(bystanderRow, host.Supabase.Row(FakeSupabase.TokensTable, bystander)!.ToJsonString());
        Assert.NotNull(host.Supabase.Row(FakeSupabase.ConnectionsTable, bystander));
        Assert.Single(host.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke")); // not retried
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "RevokeFailed");
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Id.Name == "UnexpectedError");
    }

    [Theory]
    [InlineData(500, """{"errorCode":"CMN-500"}""", "application/json")]
    [InlineData(503, "<html>maintenance</html>", "text/html")]
    [InlineData(400, """{"error":"invalid_request","errors":[{"errorCode":"OAU-101"}]}""", "application/json")]
    [InlineData(401, """{"error":"invalid_client","errors":[{"errorCode":"OAU-123"}]}""", "application/json")]
    public async Task A_failing_revoke_endpoint_still_disconnects(int status, string body, string contentType) =>
        await DisconnectsDespiteAsync(new Fault(status, body, contentType));
}

/// <summary>A hanging revoke endpoint (about 5 s: the revoke budget); its own class so it overlaps the other slow tests.</summary>
public sealed class DisconnectRevokeHangTests
{
    [Fact]
    public async Task A_hanging_revoke_endpoint_still_disconnects_within_the_bound() =>
        await DisconnectFaultTests.DisconnectsDespiteAsync(Fault.Hang);
}
