namespace RingCentralOAuthFunctions.Supabase;

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
