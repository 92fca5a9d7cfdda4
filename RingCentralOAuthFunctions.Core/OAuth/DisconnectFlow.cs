using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>
/// Disconnects a user: one database call (<c>ringcentral_oauth_disconnect</c>) deletes the user's token row and
/// connection row and records the deleted refresh token as owed a revocation, in one transaction; then the token is
/// revoked at RingCentral (retried later from the database if that fails). Idempotent. Once the database call is
/// sent, the caller's cancellation is no longer followed: a client that leaves cannot stop it half way (there is no
/// half way: the rows are gone, or untouched and valid).
/// </summary>
public sealed class DisconnectFlow(IFlowStore store, OwedRevocations revocations, Telemetry telemetry, ILogger<DisconnectFlow> logger)
{
    /// <summary>The database call's own budget (the revocation has <see cref="OwedRevocations.RevokeBudget"/> more).</summary>
    public static readonly TimeSpan StoreBudget = TimeSpan.FromSeconds(10);

    /// <summary>True when the rows are gone (or there were none); false when the store failed and nothing changed.</summary>
    public async Task<bool> DisconnectAsync(Guid userId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        DisconnectOutcome outcome;
        using (var budget = new CancellationTokenSource(StoreBudget))
        {
            try
            {
                outcome = await store.DisconnectAsync(userId, budget.Token);
            }
            catch (Exception ex) when (TokenStoreException.IsStoreFailure(ex))
            {
                Log.DisconnectFailed(logger, userId, "disconnect");
                return false;
            }
        }

        var revoked = outcome.Revoke.Count > 0 && await revocations.RevokeNowAsync(userId, outcome.Revoke, "disconnected-token");
        Log.Disconnected(logger, userId, outcome.HadConnection, revoked);
        telemetry.Disconnected(revoked);
        return true;
    }
}
