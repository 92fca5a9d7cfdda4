using Microsoft.AspNetCore.Http;
using RingCentralOAuthFunctions.Configuration;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary><c>GET /api/health</c>: 200 when every setting is present and well formed, else 503 naming them (never their values).</summary>
public sealed class HealthEndpoint(SettingsCheck settings)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var problems = await settings.FindProblemsAsync(cancellationToken);
        ApiResponses.NoStore(request);
        return problems.Count == 0
            ? Results.Json(new { status = "ok" })
            : Results.Json(new { status = "unhealthy", problems = problems.Select(p => new { setting = p.Name, problem = p.Problem }) },
                statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
