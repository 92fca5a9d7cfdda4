using System.Text.Json.Nodes;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// A <c>user_ringcentral_tokens</c> row as the other ERP functions read it: tokens in plain text, never a
/// placeholder in <c>refresh_token</c>. <see cref="Version"/> is the row's <c>updated_at</c> exactly as PostgREST
/// returned it (the table's trigger sets it on every write). <see cref="ToString"/> never prints the tokens.
/// </summary>
public sealed record TokenRow(Guid UserId, string RcEmail, string RefreshToken, string? AccessToken, DateTimeOffset? TokenExpiresAt, string? CodeVerifier,
    string? Version = null)
{
    /// <summary>A <c>refresh_token</c> starting with this holds the ERP's shared JWT credentials, not a user's token.</summary>
    public const string SharedJwtPrefix = "jwt:";

    /// <summary>Whether a stored refresh token is this user's own, to revoke when it is replaced or disconnected.</summary>
    public static bool IsUsersOwn(string refreshToken) => !refreshToken.StartsWith(SharedJwtPrefix, StringComparison.Ordinal);

    public override string ToString() => $"TokenRow(user {UserId})";
}

/// <summary>An <c>integration_connections</c> row for <c>integration_id = 'ringcentral'</c>.</summary>
public sealed record ConnectionRow(Guid UserId, string Status, DateTimeOffset? LastCheckedAt, DateTimeOffset? LastSyncAt, string? ErrorMessage, JsonObject? Config)
{
    public const string IntegrationId = "ringcentral";
    public const string Connected = "connected";
    public const string Error = "error";
}

/// <summary>What Status needs of the token row: no tokens.</summary>
public sealed record TokenRowSummary(string RcEmail, DateTimeOffset? UpdatedAt);
