using System.Net;
using Microsoft.AspNetCore.Http;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// Health: 200 when every setting is present and well formed and no dependency check fails, else 503. The dependency
/// checks run in the background (<see cref="DependencyChecks"/>): a probe reads their last result and never calls an
/// upstream itself.
/// <list type="bullet">
/// <item><see cref="HandleAsync"/> (<c>GET /api/health</c>, anyone): only <c>{"status":"ok"|"unhealthy"}</c>, for monitoring.
/// Which secret is missing, which upstream fails and how would help an attacker more than a prober.</item>
/// <item><see cref="HandleDetailsAsync"/>: the problems by setting name (never a value) and each check's state, for the
/// operator: behind the function key on the Functions app (<c>GET /api/health/details</c>,
/// <c>AuthorizationLevel.Function</c>, checked by the Functions host), and only to a caller on the same machine on
/// the local host (<see cref="IsLocalCaller"/>).</item>
/// </list>
/// </summary>
public sealed class HealthEndpoint(SettingsCheck settings, DependencyChecks dependencies)
{
    public const string DetailsRefused = "Health details are answered only to a caller on this machine.";

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ApiResponses.NoStore(request);
        var (problems, _) = await CheckAsync(cancellationToken);
        return problems.Count == 0
            ? Results.Json(new { status = "ok" })
            : Results.Json(new { status = "unhealthy" }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public async Task<IResult> HandleDetailsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ApiResponses.NoStore(request);
        var (problems, report) = await CheckAsync(cancellationToken);
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

    /// <summary>The local host's rule for the details: the caller's address is loopback (no forwarded header is trusted).</summary>
    public static bool IsLocalCaller(HttpRequest request) =>
        request.HttpContext.Connection.RemoteIpAddress is { } address
        && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>What the local host answers a caller off this machine on the details route.</summary>
    public static IResult RefuseDetails(HttpRequest request) =>
        ApiResponses.Error(request, StatusCodes.Status403Forbidden, DetailsRefused);

    private async Task<(List<SettingProblem> Problems, DependencyReport? Report)> CheckAsync(CancellationToken cancellationToken)
    {
        var problems = (await settings.FindProblemsAsync(cancellationToken)).ToList();
        problems.AddRange(await settings.FindFeatureProblemsAsync(cancellationToken));
        var report = await dependencies.GetLatestAsync(cancellationToken);
        foreach (var failing in report?.Results.Where(r => r.State == DependencyState.Failing) ?? [])
            problems.Add(new SettingProblem(failing.Setting!, failing.Problem!));
        return (problems, report);
    }
}
