using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.OAuth;

namespace RingCentralOAuthFunctions.Tests.OAuth;

/// <summary>A connect's failure reasons are logged and metered by name; alerts and the workbook group by these exact texts.</summary>
public sealed class ConnectFailureTests
{
    [Theory]
    [InlineData(ConnectFailure.None, "none", 400)]
    [InlineData(ConnectFailure.StoreUnavailable, "store_unavailable", 503)]
    [InlineData(ConnectFailure.AlreadyUsed, "flow_already_used", 409)]
    [InlineData(ConnectFailure.RateLimited, "rate_limited", 429)]
    [InlineData(ConnectFailure.ExchangeRejected, "exchange_token_rejected", 400)]
    [InlineData(ConnectFailure.ExchangeUnauthorized, "exchange_client_unauthorized", 400)]
    [InlineData(ConnectFailure.ExchangeRateLimited, "exchange_rate_limited", 503)]
    [InlineData(ConnectFailure.ExchangeUnavailable, "exchange_provider_unavailable", 503)]
    [InlineData(ConnectFailure.ExchangeBadResponse, "exchange_bad_response", 400)]
    [InlineData(ConnectFailure.NotConfigured, "not_configured", 503)]
    [InlineData(ConnectFailure.StoreFailed, "store_failed", 503)]
    [InlineData(ConnectFailure.Superseded, "superseded", 400)]
    public void Each_failure_keeps_its_emitted_name_and_status(ConnectFailure failure, string name, int status)
    {
        Assert.Equal(name, failure.Name());
        Assert.Equal(status, CompleteEndpoint.StatusFor(failure));
        Assert.Equal(Enum.GetValues<ConnectFailure>().Length, Enum.GetValues<ConnectFailure>().Select(f => f.Name()).Distinct().Count());
    }
}
