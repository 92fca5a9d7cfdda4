using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions.Secrets;

/// <summary>Reads every secret once in the background at start, so the first request rarely waits for Key Vault. Never blocks or fails start-up.</summary>
internal sealed class SecretsPreload(ISecretSource secrets, ILogger<SecretsPreload> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var secret in AppSecret.All)
        {
            try
            {
                await secrets.GetAsync(secret, stoppingToken);
            }
            catch (SecretUnavailableException)
            {
                // Logged by the source; Health names it.
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever a store throws, a failed preload must never stop the host.
                Log.BackgroundTaskFailed(logger, nameof(SecretsPreload), ex.GetType().Name);
            }
        }
    }
}
