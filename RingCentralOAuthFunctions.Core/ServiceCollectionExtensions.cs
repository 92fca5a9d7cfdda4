using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions;

public static class ServiceCollectionExtensions
{
    /// <summary>Every service of the app, for either host. Secrets come from Key Vault when <c>KeyVault:Uri</c> is set, else from configuration.</summary>
    public static IServiceCollection AddRingCentralOAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RingCentralOptions>().Bind(configuration.GetSection(RingCentralOptions.Section));
        services.AddOptions<SupabaseOptions>().Bind(configuration.GetSection(SupabaseOptions.Section));
        services.AddOptions<OAuthOptions>().Bind(configuration.GetSection(OAuthOptions.Section));
        services.AddOptions<CorsOptions>().Bind(configuration.GetSection(CorsOptions.Section));

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<Telemetry>();
        AddSecrets(services, configuration);

        AddHttpClients(services);
        QuietFrameworkLogs(services);

        services.TryAddSingleton<SettingsCheck>();
        services.TryAddSingleton<StateProtector>();
        services.TryAddSingleton<StateKeySource>();
        services.TryAddSingleton<TicketProtector>();
        services.TryAddSingleton<SupabaseJwks>();
        services.TryAddSingleton<IUserTokenValidator, SupabaseUserTokenValidator>();
        services.TryAddSingleton<IRingCentralClient, RingCentralClient>();
        services.TryAddSingleton<ITokenStore, PostgrestTokenStore>();
        services.TryAddSingleton<ConnectFlow>();
        services.TryAddSingleton<FlowCompletion>();
        services.TryAddSingleton<CompleteRateLimit>();
        services.TryAddSingleton<BearerAuthentication>();

        services.TryAddSingleton<AuthUrlEndpoint>();
        services.TryAddSingleton<CallbackEndpoint>();
        services.TryAddSingleton<CompleteEndpoint>();
        services.TryAddSingleton<StatusEndpoint>();
        services.TryAddSingleton<DisconnectEndpoint>();
        services.TryAddSingleton<HealthEndpoint>();

        services.AddHostedService<SettingsStartupLog>();
        services.AddHostedService<SecretsPreload>();
        return services;
    }

    private static void AddSecrets(IServiceCollection services, IConfiguration configuration)
    {
        var vaultUri = configuration["KeyVault:Uri"];
        if (string.IsNullOrWhiteSpace(vaultUri))
        {
            services.TryAddSingleton<ISecretSource>(_ => new ConfigurationSecretSource(configuration));
            return;
        }

        services.TryAddSingleton(_ => new SecretClient(new Uri(vaultUri), KeyVaultCredential(configuration)));
        services.TryAddSingleton<ISecretSource, KeyVaultSecretSource>();
    }

    /// <summary>
    /// In Azure, the app's managed identity (the user-assigned one when <c>KeyVault:ManagedIdentityClientId</c> is
    /// set); on a developer machine, <see cref="DefaultAzureCredential"/> (az login, Visual Studio), as Microsoft advises.
    /// </summary>
    internal static TokenCredential KeyVaultCredential(IConfiguration configuration)
    {
        var clientId = configuration["KeyVault:ManagedIdentityClientId"];
        if (!string.IsNullOrWhiteSpace(clientId))
            return new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        if (!string.IsNullOrEmpty(configuration["WEBSITE_SITE_NAME"]))
            return new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
        return new DefaultAzureCredential();
    }

    private static void AddHttpClients(IServiceCollection services)
    {
        // The token endpoint is called once per code and never retried: a code is single-use and lives about 60 s.
        // The factory's request loggers are removed from every client: their Trace lines carry the raw apikey and
        // Authorization header values (service-role key, Basic client credentials, access tokens) in structured fields.
        services.AddHttpClient(RingCentralEndpoints.TokenClient, c => c.Timeout = TimeSpan.FromSeconds(10)).RemoveAllLoggers();

        // Idempotent calls (extension GET, PostgREST selects/upserts/deletes, JWKS) may retry briefly.
        services.AddHttpClient(RingCentralEndpoints.ApiClient).RemoveAllLoggers().AddResilienceHandler("ringcentral-api", p => Retry(p, TimeSpan.FromSeconds(4)));
        services.AddHttpClient(PostgrestTokenStore.HttpClientName).RemoveAllLoggers().AddResilienceHandler("supabase-rest", p => Retry(p, TimeSpan.FromSeconds(6)));
        services.AddHttpClient(SupabaseJwks.HttpClientName).RemoveAllLoggers().AddResilienceHandler("supabase-jwks", p => Retry(p, TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// ASP.NET Core's "Request starting/finished" lines print the full URL: for the Callback that is the
    /// authorization code and the state. Polly logs every attempt of every upstream call. Only their warnings are
    /// kept; the app's own events say what happened.
    /// </summary>
    private static void QuietFrameworkLogs(IServiceCollection services) =>
        services.AddLogging(logging => logging
            .AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning)
            .AddFilter("Polly", LogLevel.Warning));

    private static void Retry(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, TimeSpan total)
    {
        pipeline.AddTimeout(total);
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldRetryAfterHeader = false,
        });
        pipeline.AddTimeout(total / 2);
    }
}
