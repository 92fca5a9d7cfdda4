using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>
/// Retries the owed revocations (<see cref="OwedRevocations.RetryDueAsync"/>) every <c>Revocations:RetryIntervalSeconds</c>
/// (60 by default) while the instance runs, in both hosts. Rows are taken only once they are
/// <c>Revocations:GraceSeconds</c> old (60), so the instance that recorded one tries it first. Any instance may take any
/// row: an instance that stopped right after answering leaves its owed revocations to the next one that runs.
/// (A timer-triggered function would also run on an app scaled to zero, but its host extension,
/// Microsoft.Azure.WebJobs.Extensions 5.x, is not served to this build; see docs/deploy.md.)
/// </summary>
public sealed class RevocationRetryService(OwedRevocations revocations, IConfiguration configuration, TimeProvider time, ILogger<RevocationRetryService> logger)
    : BackgroundService
{
    public TimeSpan Interval { get; } = Seconds(configuration["Revocations:RetryIntervalSeconds"], 60);
    public TimeSpan Grace { get; } = Seconds(configuration["Revocations:GraceSeconds"], 60);

    private static TimeSpan Seconds(string? value, int fallback) =>
        TimeSpan.FromSeconds(double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var s) && s is >= 0 and <= 86400 ? s : fallback);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(Interval > TimeSpan.Zero ? Interval : TimeSpan.FromSeconds(1), time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await revocations.RetryDueAsync(Grace, stoppingToken);
                }
                catch (Exception ex) when (ex is TokenStoreException or InvalidOperationException or UriFormatException
                                           || ex is OperationCanceledException && !stoppingToken.IsCancellationRequested)
                {
                    // The store logged what failed (or Supabase is not configured: Health says so); the next round tries again.
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    Log.BackgroundTaskFailed(logger, nameof(RevocationRetryService), ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
