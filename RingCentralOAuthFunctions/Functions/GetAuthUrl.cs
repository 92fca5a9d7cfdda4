using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>POST /api/ringcentral/auth-url: starts the RingCentral connect flow.</summary>
public sealed class GetAuthUrl(AuthUrlEndpoint endpoint)
{
    [Function(nameof(GetAuthUrl))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.AuthUrl)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoint.HandleAsync(request, cancellationToken);
}
