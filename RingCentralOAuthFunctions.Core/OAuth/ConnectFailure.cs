using RingCentralOAuthFunctions.RingCentral;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>Why a connect (Complete) did not connect. Logged and metered by <see cref="ConnectFailures.Name"/>; Endpoints/ maps it to an HTTP status.</summary>
public enum ConnectFailure
{
    None,
    /// <summary>The store could not claim the flow: nothing was sent to RingCentral.</summary>
    StoreUnavailable,
    /// <summary>The flow was already claimed (completed, failed or refused).</summary>
    AlreadyUsed,
    /// <summary>Past the per-user limit of claims.</summary>
    RateLimited,
    ExchangeRejected,
    ExchangeUnauthorized,
    ExchangeRateLimited,
    ExchangeUnavailable,
    ExchangeBadResponse,
    /// <summary>RingCentral's client secret could not be read (Key Vault or settings): nothing was sent to RingCentral.</summary>
    NotConfigured,
    /// <summary>The save failed after the exchange: this flow's tokens were revoked.</summary>
    StoreFailed,
    /// <summary>Another flow of the user (or a Disconnect) won the save.</summary>
    Superseded,
}

public static class ConnectFailures
{
    /// <summary>The reason as logs, the <c>reason</c> metric dimension, alerts and the workbook name it.</summary>
    public static string Name(this ConnectFailure failure) => failure switch
    {
        ConnectFailure.None => "none",
        ConnectFailure.StoreUnavailable => "store_unavailable",
        ConnectFailure.AlreadyUsed => "flow_already_used",
        ConnectFailure.RateLimited => "rate_limited",
        ConnectFailure.ExchangeRejected => "exchange_" + RingCentralFailure.Rejected,
        ConnectFailure.ExchangeUnauthorized => "exchange_" + RingCentralFailure.Unauthorized,
        ConnectFailure.ExchangeRateLimited => "exchange_" + RingCentralFailure.RateLimited,
        ConnectFailure.ExchangeUnavailable => "exchange_" + RingCentralFailure.Unavailable,
        ConnectFailure.ExchangeBadResponse => "exchange_" + RingCentralFailure.BadResponse,
        ConnectFailure.NotConfigured => "not_configured",
        ConnectFailure.StoreFailed => "store_failed",
        ConnectFailure.Superseded => "superseded",
        _ => throw new ArgumentOutOfRangeException(nameof(failure)),
    };

    /// <summary>The fixed text the popup shows (<see cref="CallbackMessages"/>).</summary>
    public static string Message(this ConnectFailure failure) => failure switch
    {
        ConnectFailure.None or ConnectFailure.RateLimited => "",
        ConnectFailure.AlreadyUsed => CallbackMessages.AlreadyUsed,
        ConnectFailure.NotConfigured => CallbackMessages.NotConfigured,
        ConnectFailure.ExchangeUnavailable or ConnectFailure.ExchangeRateLimited => CallbackMessages.ProviderUnavailable,
        ConnectFailure.ExchangeRejected or ConnectFailure.ExchangeUnauthorized or ConnectFailure.ExchangeBadResponse => CallbackMessages.Rejected,
        _ => CallbackMessages.SaveFailed,
    };

    /// <summary>The exchange's failure by RingCentral's reason (anything unforeseen is a bad response).</summary>
    public static ConnectFailure OfExchange(RingCentralFailure failure) => failure.Reason switch
    {
        RingCentralFailure.Rejected => ConnectFailure.ExchangeRejected,
        RingCentralFailure.Unauthorized => ConnectFailure.ExchangeUnauthorized,
        RingCentralFailure.RateLimited => ConnectFailure.ExchangeRateLimited,
        RingCentralFailure.Unavailable => ConnectFailure.ExchangeUnavailable,
        RingCentralFailure.NotConfigured => ConnectFailure.NotConfigured,
        _ => ConnectFailure.ExchangeBadResponse,
    };
}
