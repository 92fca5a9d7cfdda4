using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>POST /api/ringcentral/disconnect: revokes and forgets the caller's connection.</summary>
public sealed class Disconnect(DisconnectEndpoint endpoint)
{
    [Function(nameof(Disconnect))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, ErrorAnswers.Get, ErrorAnswers.Post, ErrorAnswers.Put, ErrorAnswers.Patch, ErrorAnswers.Delete, Route = Routes.Disconnect)] HttpRequest request,
        CancellationToken cancellationToken) =>
        ErrorAnswers.OnlyFor(ErrorAnswers.Post, request, () => endpoint.HandleAsync(request, cancellationToken));
}
