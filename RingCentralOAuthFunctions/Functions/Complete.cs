using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>POST /api/ringcentral/complete: the ERP window finishes a connection with the Callback's ticket.</summary>
public sealed class Complete(CompleteEndpoint endpoint)
{
    [Function(nameof(Complete))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, ErrorAnswers.Get, ErrorAnswers.Post, ErrorAnswers.Put, ErrorAnswers.Patch, ErrorAnswers.Delete, Route = Routes.Complete)] HttpRequest request,
        CancellationToken cancellationToken) =>
        ErrorAnswers.OnlyFor(ErrorAnswers.Post, request, () => endpoint.HandleAsync(request, cancellationToken));
}
