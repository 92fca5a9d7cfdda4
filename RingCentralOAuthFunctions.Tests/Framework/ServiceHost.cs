using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.LocalHost;

namespace RingCentralOAuthFunctions.Tests.Framework;

/// <summary>
/// The real local host (Kestrel on 127.0.0.1, random port) wired to a fake RingCentral and a fake Supabase,
/// with every log line captured. One per test: nothing is shared between tests.
/// </summary>
public sealed class ServiceHost : IServiceUnderTest
{
    public const string AppRedirectUrl = "https://erp.example.test/integrations/callback";

    private ServiceHost(WebApplication app, FakeRingCentral ringCentral, FakeSupabase supabase, string stateKey)
    {
        App = app;
        RingCentral = ringCentral;
        Supabase = supabase;
        StateKey = stateKey;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/');
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(BaseUrl) };
    }

    public WebApplication App { get; }
    public FakeRingCentral RingCentral { get; }
    public FakeSupabase Supabase { get; }
    public string StateKey { get; }
    public string BaseUrl { get; }
    public string CallbackUrl => BaseUrl + "/api/ringcentral/callback";
    public const string CompletePath = "/api/ringcentral/complete";
    public HttpClient Client { get; }
    public FakeLogCollector Logs => App.Services.GetFakeLogCollector();
    string IServiceUnderTest.HostName => "local host";
    string IServiceUnderTest.AppRedirectUrl => AppRedirectUrl;
    IReadOnlyList<string> IServiceUnderTest.LogLines() => AllLogText().Split('\n');

    public static string NewStateKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Starts fakes and the service. <paramref name="settings"/> overrides or removes (null) settings.</summary>
    public static async Task<ServiceHost> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        FakeRingCentral? ringCentral = null,
        FakeSupabase? supabase = null)
    {
        ringCentral ??= await FakeRingCentral.StartNewAsync();
        supabase ??= await FakeSupabase.StartNewAsync();
        var stateKey = NewStateKey();
        var values = new Dictionary<string, string?>
        {
            ["RingCentral:ServerUrl"] = ringCentral.Url,
            ["RingCentral:ClientId"] = FakeRingCentral.ClientId,
            ["RingCentral:ClientSecret"] = FakeRingCentral.ClientSecret,
            ["Supabase:Url"] = supabase.Url,
            ["Supabase:ServiceRoleKey"] = supabase.ServiceKey,
            ["OAuth:AppRedirectUrl"] = AppRedirectUrl,
            ["OAuth:StateKey"] = stateKey,
            ["Cors:AllowedOrigins"] = "https://erp.example.test",
            // As before the checks became a hosted service: these hosts' tests count the fakes' requests, so the
            // checks start with the first Health request, not with the host.
            ["Health:CheckDependenciesAtStart"] = "false",
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Trace",
            ["Logging:LogLevel:RingCentralOAuthFunctions"] = "Trace",
        };

        // The callback URL names the port, so the port is chosen before start.
        var baseUrl = $"http://127.0.0.1:{FreePort()}";
        values["OAuth:CallbackUrl"] = baseUrl + "/api/ringcentral/callback";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;

        var app = LocalHostApp.Create(["--urls", baseUrl], builder =>
        {
            builder.Configuration.AddInMemoryCollection(values);
            builder.Logging.ClearProviders();
            builder.Logging.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false);
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Services.AddLoopbackOnlyHttp();
            configure?.Invoke(builder);
        }, useLocalSettingsFile: false);
        await app.StartAsync();
        return new ServiceHost(app, ringCentral, supabase, stateKey);
    }

    public HttpRequestMessage Authorized(HttpMethod method, string path, string accessToken) => ServiceFlows.Authorized(method, path, accessToken);

    // The flow steps (GetAuthUrlAsync, AuthorizeAsync, CallbackAsync, CompleteAsync, ConnectAsync) are the
    // IServiceUnderTest extensions in ServiceFlows, shared with the Functions app under the Functions test host.

    public string AllLogText() => string.Join('\n', Logs.GetSnapshot().Select(r =>
        $"{r.Level} {r.Category} {r.Id.Name} {r.Message} {r.Exception} " +
        string.Join(' ', r.StructuredState?.Select(s => s.Key + "=" + s.Value) ?? [])));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await RingCentral.DisposeAsync();
        await Supabase.DisposeAsync();
    }

    private static int FreePort() => FunctionsTestHost.FunctionsTestHost.FreePort();
}

public sealed record CallbackOutcome(string Location, IReadOnlyDictionary<string, string> Query, string? Ticket = null)
{
    public string? Status => Query.GetValueOrDefault("status");
    public string? Message => Query.GetValueOrDefault("message");
    public string? Email => Query.GetValueOrDefault("email");
}

/// <summary>Complete's answer: the HTTP status, the JSON body, and <c>Retry-After</c> when given.</summary>
public sealed record CompleteOutcome(HttpStatusCode StatusCode, JsonElement Body, TimeSpan? RetryAfter)
{
    public string? Email => Body.TryGetProperty("email", out var e) ? e.GetString() : null;
    public string? Error => Body.TryGetProperty("error", out var e) ? e.GetString() : null;
}

/// <summary>
/// A whole connect: the Callback's redirect and, when it succeeded, Complete's answer. <see cref="Status"/>,
/// <see cref="Email"/> and <see cref="Message"/> say what the user finally sees: success only when Complete answered
/// 200; the message is the Callback's or Complete's fixed text.
/// </summary>
public sealed record ConnectOutcome(CallbackOutcome Callback, CompleteOutcome? Complete)
{
    public string? Status => Complete is null ? Callback.Status : Complete.StatusCode == HttpStatusCode.OK ? "success" : "error";
    public string? Email => Complete?.Email;
    public string? Message => Complete is null ? Callback.Message : Complete.Error;
    public IReadOnlyDictionary<string, string> Query => Callback.Query;
    public string Location => Callback.Location;
}
