using Microsoft.AspNetCore.Http;
using RingCentralOAuthFunctions.Configuration;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>GET /api/health</c>: 200 when every setting is present and well formed and no dependency check fails, else 503
/// naming the settings (never their values). The dependency checks run in the background
/// (<see cref="DependencyChecks"/>): a probe reads their last result and never calls an upstream itself.
/// </summary>
public sealed class HealthEndpoint(SettingsCheck settings, DependencyChecks dependencies)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ApiResponses.NoStore(request);
        var problems = (await settings.FindProblemsAsync(cancellationToken)).ToList();
        problems.AddRange(await settings.FindFeatureProblemsAsync(cancellationToken));
        var report = await dependencies.GetLatestAsync(cancellationToken);
        foreach (var failing in report?.Results.Where(r => r.State == DependencyState.Failing) ?? [])
            problems.Add(new SettingProblem(failing.Setting!, failing.Problem!));

        var checks = report is null
            ? [new { name = "dependencies", status = "pending" }]
            : report.Results.Select(r => new
            {
                name = r.Name,
                status = r.State switch { DependencyState.Ok => "ok", DependencyState.Failing => "failing", _ => "not checked" },
            }).ToArray();
        return problems.Count == 0
            ? Results.Json(new { status = "ok", checks })
            : Results.Json(new { status = "unhealthy", problems = problems.Select(p => new { setting = p.Name, problem = p.Problem }), checks },
                statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
