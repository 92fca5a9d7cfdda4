using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.Functions;

/// <summary>GET /api/health: health probe for anyone: only <c>{"status":"ok"|"unhealthy"}</c>, 200/503 (the problems: <see cref="HealthDetails"/>).</summary>
public sealed class Health(HealthEndpoint endpoint)
{
    [Function(nameof(Health))]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, ErrorAnswers.Get, ErrorAnswers.Post, ErrorAnswers.Put, ErrorAnswers.Patch, ErrorAnswers.Delete, Route = Routes.Health)] HttpRequest request,
        CancellationToken cancellationToken) =>
        ErrorAnswers.OnlyFor(ErrorAnswers.Get, request, () => endpoint.HandleAsync(request, cancellationToken));
}
