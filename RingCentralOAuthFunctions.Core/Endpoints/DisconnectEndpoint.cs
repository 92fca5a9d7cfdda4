using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.OAuth;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>POST /api/ringcentral/disconnect</c>: disconnects the caller (<see cref="DisconnectFlow"/>); 503 when the store
/// failed and nothing changed. Idempotent. The user id comes from the verified token only.
/// </summary>
public sealed class DisconnectEndpoint(
    BearerAuthentication authentication,
    DisconnectFlow disconnect,
    ILogger<DisconnectEndpoint> logger)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;

            return await disconnect.DisconnectAsync(user.Id, cancellationToken)
                ? ApiResponses.Ok(request, new { success = true })
                : ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(DisconnectEndpoint));
        }
    }
}
