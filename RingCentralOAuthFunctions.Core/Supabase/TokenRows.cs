using System.Text.Json.Nodes;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// A <c>user_ringcentral_tokens</c> row as the other ERP functions read it: tokens in plain text, never a
/// placeholder in <c>refresh_token</c>. <see cref="ToString"/> never prints the tokens.
/// </summary>
public sealed record TokenRow(Guid UserId, string RcEmail, string RefreshToken, string? AccessToken, DateTimeOffset? TokenExpiresAt, string? CodeVerifier)
{
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

/// <summary>A PostgREST call failed. Carries the HTTP status and PostgREST's error <c>code</c>, never the body.</summary>
public sealed class TokenStoreException(string operation, string table, int? httpStatus, string? postgrestCode, Exception? inner = null)
    : Exception($"Supabase {operation} on {table} failed (HTTP {httpStatus?.ToString() ?? "none"}, code {postgrestCode ?? "none"}).", inner)
{
    public string Operation { get; } = operation;
    public string Table { get; } = table;
    public int? HttpStatus { get; } = httpStatus;
    public string? PostgrestCode { get; } = postgrestCode;
}

public interface ITokenStore
{
    Task<TokenRow?> GetTokensAsync(Guid userId, CancellationToken cancellationToken);
    Task<TokenRowSummary?> GetTokenSummaryAsync(Guid userId, CancellationToken cancellationToken);
    Task<string?> GetRefreshTokenAsync(Guid userId, CancellationToken cancellationToken);
    Task<ConnectionRow?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken);
    Task UpsertTokensAsync(TokenRow row, CancellationToken cancellationToken);
    Task UpsertConnectionAsync(ConnectionRow row, CancellationToken cancellationToken);
    Task DeleteTokensAsync(Guid userId, CancellationToken cancellationToken);
    Task DeleteConnectionAsync(Guid userId, CancellationToken cancellationToken);
    Task MarkConnectionCheckedAsync(Guid userId, DateTimeOffset checkedAt, CancellationToken cancellationToken);
}
