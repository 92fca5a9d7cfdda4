using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>POST /api/ringcentral/disconnect</c>: revokes the caller's refresh token at RingCentral (best effort, not
/// retried), then deletes the caller's two rows. Idempotent. The user id comes from the verified token only.
/// </summary>
public sealed class DisconnectEndpoint(
    BearerAuthentication authentication,
    ITokenStore store,
    IRingCentralClient ringCentral,
    Telemetry telemetry,
    ILogger<DisconnectEndpoint> logger)
{
    /// <summary>Refresh tokens starting with this are the ERP's shared JWT credentials: not this user's to revoke.</summary>
    public const string SharedJwtPrefix = "jwt:";

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;

            string? refreshToken;
            try
            {
                refreshToken = await store.GetRefreshTokenAsync(user.Id, cancellationToken);
            }
            catch (TokenStoreException)
            {
                Log.DisconnectFailed(logger, user.Id, "read");
                return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
            }

            var revoked = false;
            if (!string.IsNullOrEmpty(refreshToken) && !refreshToken.StartsWith(SharedJwtPrefix, StringComparison.Ordinal))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(OAuth.ConnectFlow.RevokeBudget);
                var failure = await ringCentral.RevokeAsync(refreshToken, timeout.Token);
                revoked = failure is null;
                if (failure is not null) Log.RevokeFailed(logger, user.Id, failure.HttpStatus, failure.ErrorCode);
            }

            var deleteTokens = store.DeleteTokensAsync(user.Id, cancellationToken);
            var deleteConnection = store.DeleteConnectionAsync(user.Id, cancellationToken);
            try
            {
                await deleteTokens;
                await deleteConnection;
            }
            catch (TokenStoreException)
            {
                try { await deleteConnection; } catch (TokenStoreException) { }
                Log.DisconnectFailed(logger, user.Id, "delete");
                return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
            }

            Log.Disconnected(logger, user.Id, refreshToken is not null, revoked);
            telemetry.Disconnected(revoked);
            return ApiResponses.Ok(request, new { success = true });
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(DisconnectEndpoint));
        }
    }
}
