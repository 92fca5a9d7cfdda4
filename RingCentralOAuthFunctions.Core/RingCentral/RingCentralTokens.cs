namespace RingCentralOAuthFunctions.RingCentral;

/// <summary>Tokens RingCentral issued for one user. <see cref="ToString"/> never prints them.</summary>
public sealed record RingCentralTokens(string AccessToken, string RefreshToken, DateTimeOffset AccessTokenExpiresAt)
{
    public override string ToString() => $"RingCentralTokens(expires {AccessTokenExpiresAt:O})";
}

/// <summary>Why a call to RingCentral failed: a fixed reason, RingCentral's own error code (e.g. OAU-109) and the HTTP status.</summary>
public sealed record RingCentralFailure(string Reason, string? ErrorCode, int? HttpStatus)
{
    public const string Rejected = "token_rejected";          // 4xx with an OAuth error body
    public const string Unauthorized = "client_unauthorized";   // 401: client id/secret wrong
    public const string RateLimited = "rate_limited";           // 429
    public const string Unavailable = "provider_unavailable";   // 5xx, timeout, network
    public const string BadResponse = "bad_response";           // not JSON, or no refresh_token
    public const string NotConfigured = "not_configured";       // the client secret could not be read: nothing sent

    /// <summary>What an operator should check, by RingCentral error code. Never shown to the browser.</summary>
    public string OperatorHint => ErrorCode switch
    {
        "OAU-109" => "Redirect URI mismatch: RingCentral's registered redirect URI must equal OAuth:CallbackUrl exactly.",
        "OAU-106" or "OAU-108" => "The authorization code was already used, expired, or issued for another client; the user should start again.",
        "OAU-123" or "OAU-120" => "The client credentials were refused: check RingCentral:ClientId and the client secret.",
        _ => Reason switch
        {
            Unauthorized => "The client credentials were refused: check RingCentral:ClientId and the client secret.",
            RateLimited => "RingCentral is rate limiting this app.",
            Unavailable => "RingCentral did not answer in time or answered 5xx.",
            BadResponse => "RingCentral's token response lacked a refresh token or was not JSON.",
            NotConfigured => "The client secret could not be read (Key Vault or settings): see /api/health/details.",
            _ => "See RingCentral's error code.",
        },
    };
}
