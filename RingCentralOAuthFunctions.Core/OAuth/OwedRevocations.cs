using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>
/// Revokes the refresh tokens the service owes RingCentral. Each one was recorded in the database by the same
/// transaction that let go of it (a connect's save, a disconnect), so none depends on this instance's memory: the
/// caller tries at once (before answering, or in the background after a successful connect) and marks it done; what
/// is not done is taken again by <see cref="RetryDueAsync"/> (<see cref="RevocationRetryService"/>) until it is.
/// </summary>
public sealed class OwedRevocations(IRingCentralClient ringCentral, IFlowStore store, ILogger<OwedRevocations> logger)
{
    public static readonly TimeSpan RevokeBudget = TimeSpan.FromSeconds(5);
    public const int BatchSize = 50;

    /// <summary>Revokes each now (in parallel, each on its own budget) and marks those revoked as done; true when every one was revoked.</summary>
    public async Task<bool> RevokeNowAsync(Guid? userId, IReadOnlyList<OwedRevocation> owed, string what)
    {
        if (owed.Count == 0) return true;
        var results = await Task.WhenAll(owed.Select(async o => (o.Id, Failure: await RevokeAsync(o.RefreshToken))));
        foreach (var (_, failure) in results.Where(r => r.Failure is not null))
            Log.RevokeFailed(logger, userId ?? Guid.Empty, failure!.HttpStatus, failure.ErrorCode ?? what);
        await MarkDoneAsync(results.Where(r => r.Failure is null && r.Id > 0).Select(r => r.Id).ToList()); // id 0: not recorded (the store was unreachable)
        return results.All(r => r.Failure is null);
    }

    /// <summary>
    /// <see cref="RevokeNowAsync"/> after the answer. If this instance stops first, the revocation stays owed in the
    /// database and another run of <see cref="RetryDueAsync"/> does it.
    /// </summary>
    public void RevokeInBackground(Guid userId, IReadOnlyList<OwedRevocation> owed, string what)
    {
        if (owed.Count == 0) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await RevokeNowAsync(userId, owed, what);
            }
            catch (Exception ex)
            {
                Log.BackgroundTaskFailed(logger, nameof(OwedRevocations), ex.GetType().Name);
            }
        });
    }

    /// <summary>One round of the retry: takes the owed revocations that are due (older than <paramref name="grace"/>), revokes them, marks the revoked done.</summary>
    public async Task<(int Revoked, int StillOwed)> RetryDueAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var due = await store.TakeDueRevocationsAsync(BatchSize, grace, cancellationToken);
        if (due.Count == 0) return (0, 0);
        var results = await Task.WhenAll(due.Select(async o => (o.Id, Failure: await RevokeAsync(o.RefreshToken))));
        var revoked = results.Where(r => r.Failure is null).Select(r => r.Id).ToList();
        await MarkDoneAsync(revoked);
        Log.RevocationsRetried(logger, revoked.Count, due.Count - revoked.Count);
        return (revoked.Count, due.Count - revoked.Count);
    }

    private async Task<RingCentralFailure?> RevokeAsync(string refreshToken)
    {
        using var timeout = new CancellationTokenSource(RevokeBudget);
        return await ringCentral.RevokeAsync(refreshToken, timeout.Token); // failures, timeouts included, come back as values
    }

    /// <summary>Best effort: a revocation done but not marked is revoked once more later (harmless: RFC 7009 answers 200 for a dead token).</summary>
    private async Task MarkDoneAsync(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return;
        using var timeout = new CancellationTokenSource(RevokeBudget);
        try
        {
            await store.MarkRevokedAsync(ids, timeout.Token);
        }
        catch (Exception ex) when (TokenStoreException.IsStoreFailure(ex))
        {
            // Logged by the store.
        }
    }
}
