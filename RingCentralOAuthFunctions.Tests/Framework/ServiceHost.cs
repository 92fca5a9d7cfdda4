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
            configure?.Invoke(builder);
        }, useLocalSettingsFile: false);
        await app.StartAsync();
        return new ServiceHost(app, ringCentral, supabase, stateKey);
    }

    public HttpRequestMessage Authorized(HttpMethod method, string path, string accessToken)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return request;
    }

    /// <summary>POST auth-url as <paramref name="userId"/>; returns the authorize URL.</summary>
    public async Task<string> GetAuthUrlAsync(Guid userId, string? email = null)
    {
        using var response = await Client.SendAsync(Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", Supabase.MintAccessToken(userId, email)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("authUrl").GetString()!;
    }

    /// <summary>Plays the user at RingCentral's authorize page: returns where RingCentral redirects the popup (our Callback with code and state).</summary>
    public async Task<Uri> AuthorizeAsync(string authUrl)
    {
        using var response = await Client.GetAsync(authUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    /// <summary>Calls the Callback; asserts a 302 and returns the ERP page's query and the fragment's ticket.</summary>
    public async Task<CallbackOutcome> CallbackAsync(Uri callbackUrl) => await CallbackAsync(callbackUrl.ToString());

    public async Task<CallbackOutcome> CallbackAsync(string callbackUrl)
    {
        using var response = await Client.GetAsync(callbackUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith(AppRedirectUrl + "?", location);
        var uri = new Uri(location);
        var query = QueryHelpers.ParseQuery(uri.Query);
        var fragment = uri.Fragment.StartsWith("#ticket=", StringComparison.Ordinal) ? uri.Fragment["#ticket=".Length..] : null;
        if (uri.Fragment.Length > 0) Assert.NotNull(fragment); // the only fragment the Callback ever writes
        return new CallbackOutcome(location, query.ToDictionary(q => q.Key, q => q.Value.ToString()), fragment);
    }

    /// <summary>POSTs <c>{"ticket": …}</c> to Complete as <paramref name="userId"/>; returns the status and the JSON body.</summary>
    public async Task<CompleteOutcome> CompleteAsync(Guid userId, string? ticket, string? email = null)
    {
        using var request = Authorized(HttpMethod.Post, CompletePath, Supabase.MintAccessToken(userId, email));
        request.Content = JsonContent.Create(new { ticket });
        return await SendCompleteAsync(request);
    }

    public async Task<CompleteOutcome> SendCompleteAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        return new CompleteOutcome(response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(),
            response.Headers.RetryAfter?.Delta);
    }

    /// <summary>
    /// The whole popup flow for one user: auth-url, authorize, callback, then Complete with the callback's ticket
    /// under the same user's session (what the ERP window does). A callback error stops before Complete.
    /// </summary>
    public async Task<ConnectOutcome> ConnectAsync(Guid userId, string? email = null)
    {
        var callback = await CallbackAsync(await AuthorizeAsync(await GetAuthUrlAsync(userId, email)));
        if (callback.Status != "success") return new ConnectOutcome(callback, null);
        Assert.NotNull(callback.Ticket);
        return new ConnectOutcome(callback, await CompleteAsync(userId, callback.Ticket, email));
    }

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

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
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
