using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions.Health;

/// <summary>One clear log line per missing or malformed setting when the host starts. It never stops the host: Health reports the same list.</summary>
internal sealed class SettingsStartupLog(SettingsCheck check, ILogger<SettingsStartupLog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            foreach (var problem in await check.FindProblemsAsync(stoppingToken))
                Log.SettingProblem(logger, problem.Name, problem.Problem);
            foreach (var problem in await check.FindFeatureProblemsAsync(stoppingToken))
                Log.FeatureSettingProblem(logger, problem.Name, problem.Problem);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A failed check must never stop the host (a BackgroundService failure does): Health still answers.
            Log.BackgroundTaskFailed(logger, nameof(SettingsStartupLog), ex.GetType().Name);
        }
    }
}
