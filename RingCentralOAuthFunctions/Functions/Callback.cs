using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>GET /api/ringcentral/callback: RingCentral's OAuth redirect target.</summary>
public sealed class Callback(CallbackEndpoint endpoint)
{
    [Function(nameof(Callback))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, ErrorAnswers.Get, ErrorAnswers.Post, ErrorAnswers.Put, ErrorAnswers.Patch, ErrorAnswers.Delete, Route = Routes.Callback)] HttpRequest request,
        CancellationToken cancellationToken) =>
        ErrorAnswers.OnlyFor(ErrorAnswers.Get, request, () => endpoint.HandleAsync(request, cancellationToken));
}
