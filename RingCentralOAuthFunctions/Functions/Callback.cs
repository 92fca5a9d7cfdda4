using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>GET /api/ringcentral/callback: RingCentral's OAuth redirect target.</summary>
public sealed class Callback(CallbackEndpoint endpoint)
{
    [Function(nameof(Callback))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Callback)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoint.HandleAsync(request, cancellationToken);
}
