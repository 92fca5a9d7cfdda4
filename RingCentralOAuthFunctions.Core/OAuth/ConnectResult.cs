namespace RingCentralOAuthFunctions.OAuth;

/// <summary>The outcome of a connect (Complete): success with the account label, or a failure (and, when rate limited, how long to wait).</summary>
public sealed record ConnectResult(bool Succeeded, string? Email, ConnectFailure Failure, TimeSpan RetryAfter = default)
{
    /// <summary>The failure's name, as logged and metered.</summary>
    public string Reason => Failure.Name();

    /// <summary>The fixed text the popup shows.</summary>
    public string Message => Failure.Message();

    public static ConnectResult Success(string? email) => new(true, email, ConnectFailure.None);
    public static ConnectResult Failed(ConnectFailure failure) => new(false, null, failure);
    public static ConnectResult RateLimited(TimeSpan retryAfter) => new(false, null, ConnectFailure.RateLimited, retryAfter);
}
