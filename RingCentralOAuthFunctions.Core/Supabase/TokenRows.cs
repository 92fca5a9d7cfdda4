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
/// The two ERP tables, read directly (Status). Every write goes through <see cref="IFlowStore"/>: one database
/// function call each, so each is one transaction.
/// </summary>
public interface ITokenStore
{
    Task<TokenRow?> GetTokensAsync(Guid userId, CancellationToken cancellationToken);
    Task<TokenRowSummary?> GetTokenSummaryAsync(Guid userId, CancellationToken cancellationToken);
    Task<ConnectionRow?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken);
    Task MarkConnectionCheckedAsync(Guid userId, DateTimeOffset checkedAt, CancellationToken cancellationToken);
}

/// <summary>What a claim of a flow answered (<c>ringcentral_oauth_claim</c>).</summary>
public enum ClaimResult
{
    /// <summary>This caller may send the flow's code.</summary>
    Claimed,
    /// <summary>The flow was completed before and is still the stored connection (<see cref="FlowClaim.Label"/>).</summary>
    Connected,
    /// <summary>The flow was claimed before (running elsewhere, failed, refused, or replaced since): nothing may be sent.</summary>
    Used,
    /// <summary>The user claimed too many flows lately (<see cref="FlowClaim.RetryAfter"/>).</summary>
    RateLimited,
}

public sealed record FlowClaim(ClaimResult Result, string? Label = null, string? RecordedOutcome = null, TimeSpan RetryAfter = default);

/// <summary>A refresh token the service owes RingCentral a revocation for, recorded durably (<c>ringcentral_oauth_revocations</c>).</summary>
public sealed record OwedRevocation(long Id, string RefreshToken)
{
    public override string ToString() => $"OwedRevocation({Id})";
}

/// <summary>What a save answered (<c>ringcentral_oauth_save</c>).</summary>
public enum SaveResult
{
    /// <summary>Both rows written; <see cref="FlowSaveOutcome.Revoke"/> holds the refresh token it displaced, if any.</summary>
    Connected,
    /// <summary>The user's connection changed through this service after this flow claimed: nothing written; its own token is owed.</summary>
    Superseded,
    /// <summary>This caller holds no claim on the flow: nothing written; its own token is owed.</summary>
    NotClaimed,
}

public sealed record FlowSaveOutcome(SaveResult Result, IReadOnlyList<OwedRevocation> Revoke);

/// <summary>What a flow's save writes: the token row's values and the account label.</summary>
public sealed record FlowSave(string FlowMarker, Guid UserId, Guid ClaimId, string RcEmail, string RefreshToken, string? AccessToken, DateTimeOffset? TokenExpiresAt)
{
    public override string ToString() => $"FlowSave(user {UserId})";
}

public sealed record DisconnectOutcome(bool HadConnection, IReadOnlyList<OwedRevocation> Revoke);

/// <summary>
/// The functions of <c>supabase/migrations</c> (PostgREST RPC): each call is one transaction in the database, which
/// decides between racing flows, instances and disconnects. <see cref="TokenStoreException"/> means the call was
/// refused (<see cref="TokenStoreException.HttpStatus"/> set: nothing changed) or got no answer (it may have landed).
/// </summary>
public interface IFlowStore
{
    Task<FlowClaim> ClaimFlowAsync(string flowMarker, Guid userId, Guid claimId, int maxClaims, TimeSpan window, CancellationToken cancellationToken);
    Task RefuseFlowAsync(string flowMarker, Guid userId, CancellationToken cancellationToken);
    Task FailFlowAsync(string flowMarker, Guid userId, Guid claimId, CancellationToken cancellationToken);
    Task<FlowSaveOutcome> SaveFlowAsync(FlowSave save, CancellationToken cancellationToken);
    Task<DisconnectOutcome> DisconnectAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>Owed revocations due for a retry (older than <paramref name="grace"/>); each taken is pushed back, so instances do not share one.</summary>
    Task<IReadOnlyList<OwedRevocation>> TakeDueRevocationsAsync(int limit, TimeSpan grace, CancellationToken cancellationToken);
    Task MarkRevokedAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken);
}
