using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>POST /api/ringcentral/disconnect</c>: revokes the caller's refresh token at RingCentral (best effort, not
/// retried), then deletes the caller's token row if it still holds that token (else it starts again with what the row
/// now holds), then the connection row. Idempotent. The user id comes from the verified token only.
/// </summary>
public sealed class DisconnectEndpoint(
    BearerAuthentication authentication,
    ITokenStore store,
    IRingCentralClient ringCentral,
    Telemetry telemetry,
    ILogger<DisconnectEndpoint> logger)
{
    /// <summary>Rounds of read, revoke, conditional delete before a Disconnect that keeps losing to writers gives up (503).</summary>
    public const int MaxAttempts = 3;

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;

            // The token row is deleted only at the version read, so a connect that stored new tokens in between is
            // never deleted unrevoked: its tokens are read, revoked and deleted in the next round.
            var (hadConnection, revokeTried, revoked) = (false, false, true);
            for (var attempt = 1; ; attempt++)
            {
                StoredRefreshToken? stored;
                try
                {
                    stored = await store.GetRefreshTokenAsync(user.Id, cancellationToken);
                }
                catch (TokenStoreException)
                {
                    Log.DisconnectFailed(logger, user.Id, "read");
                    return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
                }

                hadConnection |= stored is not null;
                if (stored is { RefreshToken: { Length: > 0 } refreshToken } && TokenRow.IsUsersOwn(refreshToken))
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(OAuth.ConnectFlow.RevokeBudget);
                    var failure = await ringCentral.RevokeAsync(refreshToken, timeout.Token);
                    revokeTried = true;
                    revoked &= failure is null;
                    if (failure is not null) Log.RevokeFailed(logger, user.Id, failure.HttpStatus, failure.ErrorCode);
                }

                try
                {
                    if (stored is null || await store.DeleteTokensAsync(user.Id, stored.Version, cancellationToken)) break;
                }
                catch (TokenStoreException)
                {
                    Log.DisconnectFailed(logger, user.Id, "delete");
                    return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
                }

                if (attempt == MaxAttempts)
                {
                    Log.DisconnectFailed(logger, user.Id, "contended");
                    return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
                }

                Log.DisconnectRetried(logger, user.Id, attempt);
            }

            try
            {
                await store.DeleteConnectionAsync(user.Id, cancellationToken);
            }
            catch (TokenStoreException)
            {
                Log.DisconnectFailed(logger, user.Id, "delete");
                return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
            }

            revoked &= revokeTried;
            Log.Disconnected(logger, user.Id, hadConnection, revoked);
            telemetry.Disconnected(revoked);
            return ApiResponses.Ok(request, new { success = true });
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(DisconnectEndpoint));
        }
    }
}
