using System.Text.Json.Nodes;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// A <c>user_ringcentral_tokens</c> row as the other ERP functions read it: tokens in plain text, never a
/// placeholder in <c>refresh_token</c>. <see cref="Version"/> is the row's <c>updated_at</c> exactly as PostgREST
/// returned it (the table's trigger sets it on every write): conditional writes name it, so they land only on the row
/// as it was read. <see cref="ToString"/> never prints the tokens.
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

/// <summary>What Disconnect needs of the token row: the refresh token to revoke and the version to delete.</summary>
public sealed record StoredRefreshToken(string RefreshToken, string? Version)
{
    public override string ToString() => "StoredRefreshToken";
}

/// <summary>What Status needs of the token row: no tokens.</summary>
public sealed record TokenRowSummary(string RcEmail, DateTimeOffset? UpdatedAt);

/// <summary>A PostgREST call failed. Carries the HTTP status and PostgREST's error <c>code</c>, never the body.</summary>
public sealed class TokenStoreException(string operation, string table, int? httpStatus, string? postgrestCode, Exception? inner = null)
    : Exception($"Supabase {operation} on {table} failed (HTTP {httpStatus?.ToString() ?? "none"}, code {postgrestCode ?? "none"}).", inner)
{
    public string Operation { get; } = operation;
    public string Table { get; } = table;
    public int? HttpStatus { get; } = httpStatus;
    public string? PostgrestCode { get; } = postgrestCode;
}

/// <summary>
/// The two ERP tables. Writes to the token row are conditional: each names the version it expects and reports whether
/// it landed, so two flows of one user never both act on the same row (the loser learns it and cleans up after itself).
/// A conditional write that returns normally either landed (a version, or true) or matched nothing (null, or false);
/// <see cref="TokenStoreException"/> means it was refused (<see cref="TokenStoreException.HttpStatus"/> set: nothing
/// changed) or got no answer (it may have landed).
/// </summary>
public interface ITokenStore
{
    Task<TokenRow?> GetTokensAsync(Guid userId, CancellationToken cancellationToken);
    Task<TokenRowSummary?> GetTokenSummaryAsync(Guid userId, CancellationToken cancellationToken);
    Task<StoredRefreshToken?> GetRefreshTokenAsync(Guid userId, CancellationToken cancellationToken);
    Task<ConnectionRow?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Inserts the user's token row; the new version, or null when the user already has one.</summary>
    Task<string?> InsertTokensAsync(TokenRow row, CancellationToken cancellationToken);

    /// <summary>Overwrites the user's token row if it is still at <paramref name="expectedVersion"/>; the new version, or null when it is not.</summary>
    Task<string?> ReplaceTokensAsync(TokenRow row, string? expectedVersion, CancellationToken cancellationToken);

    /// <summary>Deletes the user's token row if it is still at <paramref name="expectedVersion"/>; false when it is not.</summary>
    Task<bool> DeleteTokensAsync(Guid userId, string? expectedVersion, CancellationToken cancellationToken);

    Task UpsertConnectionAsync(ConnectionRow row, CancellationToken cancellationToken);

    /// <summary>
    /// Undoes <see cref="UpsertConnectionAsync"/> of a row stamped <c>last_sync_at = </c><paramref name="writtenSyncAt"/>:
    /// puts <paramref name="previous"/> back (or deletes the row when there was none), only while the row still carries
    /// that stamp, so a later flow's row is never touched.
    /// </summary>
    Task RestoreConnectionAsync(Guid userId, ConnectionRow? previous, DateTimeOffset writtenSyncAt, CancellationToken cancellationToken);

    Task DeleteConnectionAsync(Guid userId, CancellationToken cancellationToken);
    Task MarkConnectionCheckedAsync(Guid userId, DateTimeOffset checkedAt, CancellationToken cancellationToken);
}
