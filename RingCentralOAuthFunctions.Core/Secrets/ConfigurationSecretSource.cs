using Microsoft.Extensions.Configuration;

namespace RingCentralOAuthFunctions.Secrets;

/// <summary>Secrets from configuration (environment, local.settings.json): local runs and tests. Reads live, so a reloaded setting is picked up.</summary>
public sealed class ConfigurationSecretSource(IConfiguration configuration) : ISecretSource
{
    public ValueTask<SecretValue> GetAsync(AppSecret secret, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new SecretValue(configuration[secret.ConfigurationKey]));
}
