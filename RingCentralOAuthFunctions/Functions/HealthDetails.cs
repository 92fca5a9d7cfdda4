using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>
/// GET /api/health/details: Health's problem list for the operator. <c>AuthorizationLevel.Function</c>: the Functions
/// host answers 401 unless the request carries a function or host key (<c>?code=</c> or <c>x-functions-key</c>); the
/// worker never sees the keys, so this is the only way the key can decide what Health says.
/// </summary>
public sealed class HealthDetails(HealthEndpoint endpoint)
{
    [Function(nameof(HealthDetails))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, ErrorAnswers.Get, ErrorAnswers.Post, ErrorAnswers.Put, ErrorAnswers.Patch, ErrorAnswers.Delete, Route = Routes.HealthDetails)] HttpRequest request,
        CancellationToken cancellationToken) =>
        ErrorAnswers.OnlyFor(ErrorAnswers.Get, request, () => endpoint.HandleDetailsAsync(request, cancellationToken));
}
