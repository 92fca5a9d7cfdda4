using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>POST /api/ringcentral/disconnect</c>: one database call (<c>ringcentral_oauth_disconnect</c>) deletes the caller's
/// token row and connection row and records the deleted refresh token as owed a revocation, in one transaction; then
/// the token is revoked at RingCentral (retried later from the database if that fails). Idempotent. The user id comes
/// from the verified token only. Once the database call is sent, the request's cancellation is no longer followed:
/// a client that leaves cannot stop it half way (there is no half way: the rows are gone, or untouched and valid).
/// </summary>
public sealed class DisconnectEndpoint(
    BearerAuthentication authentication,
    IFlowStore store,
    OwedRevocations revocations,
    Telemetry telemetry,
    ILogger<DisconnectEndpoint> logger)
{
    /// <summary>The database call's own budget (the revocation has <see cref="OwedRevocations.RevokeBudget"/> more).</summary>
    public static readonly TimeSpan StoreBudget = TimeSpan.FromSeconds(10);

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;
            cancellationToken.ThrowIfCancellationRequested();

            DisconnectOutcome outcome;
            using (var budget = new CancellationTokenSource(StoreBudget))
            {
                try
                {
                    outcome = await store.DisconnectAsync(user.Id, budget.Token);
                }
                catch (Exception ex) when (ex is TokenStoreException or Secrets.SecretUnavailableException or OperationCanceledException)
                {
                    Log.DisconnectFailed(logger, user.Id, "disconnect");
                    return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
                }
            }

            var revoked = outcome.Revoke.Count > 0 && await revocations.RevokeNowAsync(user.Id, outcome.Revoke, "disconnected-token");
            Log.Disconnected(logger, user.Id, outcome.HadConnection, revoked);
            telemetry.Disconnected(revoked);
            return ApiResponses.Ok(request, new { success = true });
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(DisconnectEndpoint));
        }
    }
}
