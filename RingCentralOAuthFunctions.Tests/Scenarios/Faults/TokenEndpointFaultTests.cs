using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// RingCentral's token endpoint failing during a reconnect: the popup gets the right fixed message, the code is sent
/// once (never retried), the working connection stays exactly as it was, and no token is revoked or left behind.
/// </summary>
public sealed class TokenEndpointFaultTests
{
    /// <summary>Put in upstream error descriptions: free text from RingCentral must reach neither the page nor the log.</summary>
    private const string UpstreamMarker = "upstream-text-5e1f";

    private static async Task<ReconnectScenario> FailedReconnectAsync(Fault fault, params string[] expectedMessages)
    {
        var scenario = await ReconnectScenario.StartAsync();
        scenario.Host.RingCentral.Inject(FakeRingCentral.TokenRoute, fault);

        var (outcome, elapsed) = await scenario.ReconnectAsync();

        Assert.Equal("error", outcome.Status);
        Assert.Contains(outcome.Message, expectedMessages);
        Assert.InRange(elapsed, TimeSpan.Zero, ReconnectScenario.CallbackBound);
        Assert.Equal(2, scenario.Host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count()); // one per connection attempt
        scenario.AssertRowsAsBefore();
        scenario.AssertNoOrphanedTokens();
        Assert.Empty(scenario.Host.RingCentral.Revoked);
        return scenario;
    }

    [Theory]
    [InlineData("OAU-106", "Authorization code is invalid or expired")]
    [InlineData("OAU-108", "Code verifier does not match the code challenge")]
    [InlineData("OAU-109", "Redirect URI mismatch")]
    public async Task A_400_with_ringcentral_error_code_is_rejected_and_the_code_reaches_the_log_but_not_the_page(string errorCode, string description)
    {
        await using var scenario = await FailedReconnectAsync(
            new Fault(400, FakeRingCentral.OAuthErrorBody("invalid_grant", errorCode, $"{description} {UpstreamMarker}")), CallbackMessages.Rejected);

        var line = scenario.ConnectFailedLine();
        Assert.Equal("exchange_token_rejected", line["Reason"]);
        Assert.Equal(errorCode, line["ProviderError"]);
        Assert.Equal("400", line["HttpStatus"]);
        Assert.DoesNotContain(UpstreamMarker, scenario.Host.AllLogText());
    }

    [Fact]
    public async Task A_401_invalid_client_is_rejected_with_an_operator_hint_about_the_client_credentials()
    {
        await using var scenario = await FailedReconnectAsync(
            new Fault(401, FakeRingCentral.OAuthErrorBody("invalid_client", "OAU-123", "Invalid client credentials")), CallbackMessages.Rejected);

        var line = scenario.ConnectFailedLine();
        Assert.Equal("exchange_client_unauthorized", line["Reason"]);
        Assert.Contains("client", line["OperatorHint"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_429_with_retry_after_is_provider_unavailable_and_not_retried()
    {
        await using var scenario = await FailedReconnectAsync(
            new Fault(429, """{"errorCode":"CMN-301","message":"Request rate exceeded"}""", Headers: new Dictionary<string, string> { ["Retry-After"] = "1" }),
            CallbackMessages.ProviderUnavailable);

        Assert.Equal("exchange_rate_limited", scenario.ConnectFailedLine()["Reason"]);
    }

    [Theory]
    [InlineData(500, """{"errorCode":"CMN-500"}""", "application/json")]
    [InlineData(502, "<html><body>Bad Gateway</body></html>", "text/html")]
    [InlineData(503, "", "text/plain")]
    public async Task A_5xx_is_provider_unavailable_and_not_retried(int status, string body, string contentType)
    {
        await using var scenario = await FailedReconnectAsync(new Fault(status, body, contentType), CallbackMessages.ProviderUnavailable);

        Assert.Equal("exchange_provider_unavailable", scenario.ConnectFailedLine()["Reason"]);
    }

    [Fact]
    public async Task A_200_that_is_not_json_fails_with_a_fixed_message_and_stores_nothing()
    {
        await using var scenario = await FailedReconnectAsync(new Fault(200, "<html><body>Maintenance</body></html>", "text/html"),
            CallbackMessages.Rejected, CallbackMessages.ProviderUnavailable);
    }

    [Fact]
    public async Task A_200_that_is_not_json_is_classified_as_a_bad_response()
    {
        await using var scenario = await FailedReconnectAsync(new Fault(200, "<html><body>Maintenance</body></html>", "text/html"), CallbackMessages.Rejected);

        Assert.Equal("exchange_bad_response", scenario.ConnectFailedLine()["Reason"]);
    }

    [Fact]
    public async Task A_token_response_without_refresh_token_fails_without_storing_anything()
    {
        var scenario = await ReconnectScenario.StartAsync();
        await using var _ = scenario;
        scenario.Host.RingCentral.IssueRefreshTokens = false;

        var (outcome, _) = await scenario.ReconnectAsync();

        Assert.Equal(CallbackMessages.Rejected, outcome.Message);
        Assert.Equal("exchange_bad_response", scenario.ConnectFailedLine()["Reason"]);
        scenario.AssertRowsAsBefore();
        Assert.DoesNotContain(scenario.First.RefreshToken, scenario.Host.RingCentral.Revoked);
    }

    [Fact]
    public async Task A_hanging_token_endpoint_answers_the_popup_within_the_bound_with_provider_unavailable()
    {
        await using var scenario = await FailedReconnectAsync(Fault.Hang, CallbackMessages.ProviderUnavailable);

        Assert.Equal("exchange_provider_unavailable", scenario.ConnectFailedLine()["Reason"]);
    }
}
