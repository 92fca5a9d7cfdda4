using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>POST /api/ringcentral/auth-url: starts the RingCentral connect flow.</summary>
public sealed class GetAuthUrl(AuthUrlEndpoint endpoint)
{
    [Function(nameof(GetAuthUrl))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, ErrorAnswers.Get, ErrorAnswers.Post, ErrorAnswers.Put, ErrorAnswers.Patch, ErrorAnswers.Delete, Route = Routes.AuthUrl)] HttpRequest request,
        CancellationToken cancellationToken) =>
        ErrorAnswers.OnlyFor(ErrorAnswers.Post, request, () => endpoint.HandleAsync(request, cancellationToken));
}
