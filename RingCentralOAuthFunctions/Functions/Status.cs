using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>GET /api/ringcentral/status: the caller's connection state.</summary>
public sealed class Status(StatusEndpoint endpoint)
{
    [Function(nameof(Status))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, ErrorAnswers.Get, ErrorAnswers.Post, ErrorAnswers.Put, ErrorAnswers.Patch, ErrorAnswers.Delete, Route = Routes.Status)] HttpRequest request,
        CancellationToken cancellationToken) =>
        ErrorAnswers.OnlyFor(ErrorAnswers.Get, request, () => endpoint.HandleAsync(request, cancellationToken));
}
