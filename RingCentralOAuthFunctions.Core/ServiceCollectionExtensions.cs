using System.Runtime.CompilerServices;
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
using RingCentralOAuthFunctions.Health;
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
        services.AddOptions<KeyVaultOptions>().Bind(configuration.GetSection(KeyVaultOptions.Section));
        services.AddOptions<DependencyCheckOptions>().Bind(configuration.GetSection(DependencyCheckOptions.Section));

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<Telemetry>();
        services.TryAddSingleton<UpstreamCalls>();
        AddSecrets(services, configuration);

        AddHttpClients(services);
        QuietFrameworkLogs(services);

        services.TryAddSingleton<SettingsCheck>();
        services.TryAddSingleton<DependencyChecks>();
        services.TryAddSingleton<StateProtector>();
        services.TryAddSingleton<StateKeySource>();
        services.TryAddSingleton<TicketProtector>();
        services.TryAddSingleton<SupabaseJwks>();
        services.TryAddSingleton<IUserTokenValidator, SupabaseUserTokenValidator>();
        services.TryAddSingleton<IRingCentralClient, RingCentralClient>();
        services.TryAddSingleton<PostgrestClient>();
        services.TryAddSingleton<PostgrestTokenStore>();
        services.TryAddSingleton<ITokenStore>(sp => sp.GetRequiredService<PostgrestTokenStore>());
        services.TryAddSingleton<IFlowStore>(sp => sp.GetRequiredService<PostgrestTokenStore>());
        services.TryAddSingleton<OwedRevocations>();
        services.TryAddSingleton<IConnectionStatusStore, PostgrestConnectionStatusStore>();
        services.TryAddSingleton<ISupabaseUserDirectory, SupabaseUserDirectory>();
        services.TryAddSingleton<IRingCentralSharedJwtClient, RingCentralClient>();
        services.TryAddSingleton<SharedJwtAccount>();
        services.TryAddSingleton<ConnectFlow>();
        services.TryAddSingleton<OncePerFlow>();
        services.TryAddSingleton<DisconnectFlow>();
        services.TryAddSingleton<BearerAuthentication>();

        services.TryAddSingleton<AuthUrlEndpoint>();
        services.TryAddSingleton<CallbackEndpoint>();
        services.TryAddSingleton<CompleteEndpoint>();
        services.TryAddSingleton<StatusEndpoint>();
        services.TryAddSingleton<DisconnectEndpoint>();
        services.TryAddSingleton<HealthEndpoint>();

        services.AddHostedService<SettingsStartupLog>();
        services.AddHostedService(sp => sp.GetRequiredService<DependencyChecks>());
        services.AddHostedService<RevocationRetryService>();
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

        // A malformed URI must not stop the host: SettingsCheck names KeyVault:Uri, and every secret is unreadable.
        if (!Uri.TryCreate(vaultUri, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            services.TryAddSingleton<ISecretSource>(_ => new UnavailableSecretSource("unreadable: KeyVault:Uri is not an https URL"));
            return;
        }

        AddKeyVault(services, configuration, uri);
    }

    /// <summary>
    /// Only this method names the Key Vault and Azure.Identity types, so a host without <c>KeyVault:Uri</c> (local runs,
    /// tests, the benchmark) never loads Azure.Core, Azure.Identity or the Key Vault client while it starts.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddKeyVault(IServiceCollection services, IConfiguration configuration, Uri uri)
    {
        services.TryAddSingleton(_ => new SecretClient(uri, KeyVaultCredential(configuration), KeyVaultClientOptions()));
        services.TryAddSingleton<ISecretSource, KeyVaultSecretSource>();
        // Reads every secret once in the background, so the first request rarely waits for the vault. Only here:
        // secrets from configuration need no warm-up.
        services.AddHostedService<SecretsPreload>();
    }

    /// <summary>
    /// A slow or unreachable vault must fail fast: the SDK's defaults (3 retries, 100 s network timeout) would hold a
    /// first read for minutes. Reads are re-tried by <see cref="KeyVaultSecretSource"/> on its own schedule instead.
    /// </summary>
    internal static SecretClientOptions KeyVaultClientOptions()
    {
        var options = new SecretClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(1);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        return options;
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
        // Outside the retries, each client records one span and duration point per call and writes one line per call
        // that got no answer (UpstreamCalls).
        services.AddHttpClient(RingCentralEndpoints.TokenClient, c => c.Timeout = TimeSpan.FromSeconds(10)).RemoveAllLoggers()
            .AddUpstreamCalls(Upstreams.RingCentral);

        // Idempotent calls (extension GET, PostgREST selects/upserts/deletes, JWKS) may retry briefly.
        services.AddHttpClient(RingCentralEndpoints.ApiClient).RemoveAllLoggers().AddUpstreamCalls(Upstreams.RingCentral)
            .AddResilienceHandler("ringcentral-api", p => Retry(p, TimeSpan.FromSeconds(4)));
        services.AddHttpClient(PostgrestClient.HttpClientName).RemoveAllLoggers().AddUpstreamCalls(Upstreams.SupabaseRest)
            .AddResilienceHandler("supabase-rest", p => Retry(p, TimeSpan.FromSeconds(6)));
        services.AddHttpClient(SupabaseUserDirectory.HttpClientName).RemoveAllLoggers().AddUpstreamCalls(Upstreams.SupabaseAuth)
            .AddResilienceHandler("supabase-auth", p => Retry(p, TimeSpan.FromSeconds(5)));
        services.AddHttpClient(SupabaseJwks.HttpClientName).RemoveAllLoggers().AddUpstreamCalls(Upstreams.SupabaseJwks)
            .AddResilienceHandler("supabase-jwks", p => Retry(p, TimeSpan.FromSeconds(5)));
        // Health's background checks: one short try each; a failure is reported by the check itself.
        services.AddHttpClient(DependencyChecks.HttpClientName, c => c.Timeout = DependencyChecks.CallTimeout).RemoveAllLoggers();
    }

    /// <summary>
    /// ASP.NET Core's "Request starting/finished" lines print the full URL: for the Callback that is the
    /// authorization code and the state: only their warnings are kept. Polly logs every attempt and timeout of every
    /// upstream call with a stack trace (about 90 lines for one request during an outage): it is silenced, and
    /// <see cref="UpstreamCalls"/> and the app's own events say what failed and how, in one line each.
    /// </summary>
    private static void QuietFrameworkLogs(IServiceCollection services) =>
        services.AddLogging(logging => logging
            .AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning)
            .AddFilter("Polly", LogLevel.None));

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
