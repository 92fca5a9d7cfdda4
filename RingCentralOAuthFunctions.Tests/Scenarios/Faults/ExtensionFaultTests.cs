using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// The extension lookup only labels the connection: when it fails the connection still succeeds, with an empty label,
/// and the new tokens replace the old ones.
/// </summary>
public sealed class ExtensionFaultTests
{
    private static async Task ReconnectsWithAnEmptyLabelAsync(Fault fault)
    {
        await using var scenario = await ReconnectScenario.StartAsync();
        scenario.Host.RingCentral.Inject(FakeRingCentral.ExtensionRoute, fault);

        var (outcome, elapsed) = await scenario.ReconnectAsync();

        Assert.Equal("success", outcome.Status);
        Assert.Equal("", outcome.Email); // Complete answers an empty label, as the rows hold it
        Assert.InRange(elapsed, TimeSpan.Zero, ReconnectScenario.CallbackBound);
        var fresh = scenario.Host.RingCentral.Issued.Last();
        var tokens = scenario.Host.Supabase.Row(FakeSupabase.TokensTable, scenario.User)!;
        Assert.Equal(fresh.RefreshToken, (string?)tokens["refresh_token"]);
        Assert.Equal(fresh.AccessToken, (string?)tokens["access_token"]);
        Assert.Equal("", (string?)tokens["rc_email"]);
        var connection = scenario.Host.Supabase.Row(FakeSupabase.ConnectionsTable, scenario.User)!;
        Assert.Equal("connected", (string?)connection["status"]);
        Assert.Equal("", (string?)connection["config"]!["rc_email"]);
        Assert.DoesNotContain(fresh.RefreshToken, scenario.Host.RingCentral.Revoked);
        Assert.Single(scenario.LogsNamed("AccountLabelUnavailable"));
        Assert.Empty(scenario.LogsNamed("ConnectFailed"));
    }

    [Theory]
    [InlineData(500, """{"errorCode":"CMN-500"}""", "application/json")]
    [InlineData(401, """{"errorCode":"OAU-213"}""", "application/json")]
    [InlineData(404, "", "text/plain")]
    [InlineData(200, "<html>not json</html>", "text/html")]
    [InlineData(200, "[1,2,3]", "application/json")]
    public async Task A_failing_extension_lookup_still_connects_with_an_empty_label(int status, string body, string contentType) =>
        await ReconnectsWithAnEmptyLabelAsync(new Fault(status, body, contentType));
}

/// <summary>A hanging extension lookup (about 4 s: the API client's budget); its own class so it overlaps the other slow tests.</summary>
public sealed class ExtensionHangTests
{
    [Fact]
    public async Task A_hanging_extension_lookup_still_connects_within_the_bound()
    {
        await using var scenario = await ReconnectScenario.StartAsync();
        scenario.Host.RingCentral.Inject(FakeRingCentral.ExtensionRoute, Fault.Hang);

        var (outcome, elapsed) = await scenario.ReconnectAsync();

        Assert.Equal("success", outcome.Status);
        Assert.Equal("", outcome.Email); // Complete answers an empty label, as the rows hold it
        Assert.InRange(elapsed, TimeSpan.Zero, ReconnectScenario.CallbackBound);
        Assert.Equal(scenario.Host.RingCentral.Issued.Last().RefreshToken,
            (string?)scenario.Host.Supabase.Row(FakeSupabase.TokensTable, scenario.User)!["refresh_token"]);
    }
}
