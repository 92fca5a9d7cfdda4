using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Health;

namespace RingCentralOAuthFunctions.LocalHost.Demo;

/// <summary>
/// Demo mode: the real service (<see cref="LocalHostApp"/>, every route and setting check as in production) wired to
/// in-process stand-ins of RingCentral (with its sign-in and consent page) and Supabase (JWKS and PostgREST over
/// in-memory tables), plus a demo ERP page at <c>/</c> that uses the front-end module of <c>docs/frontend/</c>.
/// Only ever started by <c>--demo</c>; listens on loopback only; refuses real upstream settings. The Functions app
/// does not contain it.
/// </summary>
public sealed class DemoApp : IAsyncDisposable
{
    public const string Flag = "--demo";
    public const string DefaultUrl = LocalHostApp.DefaultUrl;

    private DemoApp(WebApplication app, FakeRingCentral ringCentral, FakeSupabase supabase, string baseUrl)
    {
        App = app;
        RingCentral = ringCentral;
        Supabase = supabase;
        BaseUrl = baseUrl;
    }

    public WebApplication App { get; }
    public FakeRingCentral RingCentral { get; }
    public FakeSupabase Supabase { get; }

    /// <summary>The demo ERP page and the service, e.g. <c>http://127.0.0.1:7071</c>.</summary>
    public string BaseUrl { get; }

    /// <summary>
    /// Starts the stand-ins and the service on the one loopback address given by <c>--urls</c> (default
    /// <see cref="DefaultUrl"/>). Throws <see cref="DemoRefusedException"/> when real upstream settings are present
    /// (environment, command line, appsettings or, with <paramref name="checkLocalSettingsFile"/>, local.settings.json)
    /// or the address is not loopback.
    /// </summary>
    /// <param name="configure">Runs after the demo's settings are added (tests quieten logging here).</param>
    public static async Task<DemoApp> StartAsync(string[] args, Action<WebApplicationBuilder>? configure = null, bool checkLocalSettingsFile = true)
    {
        var commandLine = new ConfigurationBuilder().AddEnvironmentVariables("ASPNETCORE_").AddCommandLine(args).Build();
        var baseUrl = (commandLine["urls"] ?? DefaultUrl).Trim().TrimEnd('/');
        if (!DemoSafety.IsLoopbackHttpUrl(baseUrl))
            throw new DemoRefusedException(
                $"demo mode listens on loopback only: --urls must be a single http://127.0.0.1:<port> address (default {DefaultUrl}).");

        // Before anything starts: a port in use is one clear line, not the host's start-up failure with its stack trace.
        if (!DemoSafety.PortIsFree(baseUrl)) throw new DemoPortInUseException(baseUrl);

        var ringCentral = await FakeRingCentral.StartNewAsync();
        var supabase = await FakeSupabase.StartNewAsync();
        WebApplication? app = null;
        try
        {
            ringCentral.InteractiveConsent = true;
            ringCentral.ConsentAccounts = DemoUsers.All.Select(u => u.Email).ToList();
            // The demo runs until stopped: keeping every request would grow without bound.
            ringCentral.RecordRequests = false;
            supabase.RecordRequests = false;

            app = LocalHostApp.Create(args, builder =>
            {
                Refuse(builder, checkLocalSettingsFile);
                builder.Configuration.AddInMemoryCollection(Settings(baseUrl, ringCentral, supabase));
                builder.WebHost.UseUrls(baseUrl);
                configure?.Invoke(builder);
            }, useLocalSettingsFile: false);
            DemoRoutes.Map(app, supabase);
            await app.StartAsync();

            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            if (addresses.Count == 0 || !addresses.All(DemoSafety.IsLoopbackHttpUrl))
                throw new DemoRefusedException("demo mode listens on loopback only, and the server bound another address (check Kestrel:Endpoints settings).");
            return new DemoApp(app, ringCentral, supabase, baseUrl);
        }
        catch
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }

            await ringCentral.DisposeAsync();
            await supabase.DisposeAsync();
            throw;
        }
    }

    private static void Refuse(WebApplicationBuilder builder, bool checkLocalSettingsFile)
    {
        var localSettings = new ConfigurationManager();
        if (checkLocalSettingsFile) LocalHostApp.AddLocalSettings(localSettings, builder.Environment.ContentRootPath);

        var real = DemoSafety.RealUpstreamSettings(builder.Configuration, localSettings);
        if (real.Count > 0)
            throw new DemoRefusedException(
                $"real upstream settings are present ({string.Join(", ", real)}, from environment variables, the command line, appsettings or local.settings.json). " +
                "Demo mode uses in-process stand-ins only and never runs beside a real configuration: unset them (or move local.settings.json away), or run without --demo.");
        if (builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
            throw new DemoRefusedException("Kestrel:Endpoints is set; demo mode chooses its own loopback address (use --urls http://127.0.0.1:<port>).");
    }

    private static Dictionary<string, string?> Settings(string baseUrl, FakeRingCentral ringCentral, FakeSupabase supabase) => new()
    {
        ["RingCentral:ServerUrl"] = ringCentral.Url,
        ["RingCentral:ClientId"] = FakeRingCentral.ClientId,
        ["RingCentral:ClientSecret"] = FakeRingCentral.ClientSecret,
        ["Supabase:Url"] = supabase.Url,
        ["Supabase:ServiceRoleKey"] = supabase.ServiceKey,
        ["Supabase:JwtSecret"] = null,
        ["KeyVault:Uri"] = null,
        ["OAuth:CallbackUrl"] = baseUrl + "/api/ringcentral/callback",
        ["OAuth:AppRedirectUrl"] = baseUrl + DemoRoutes.CallbackPage,
        ["OAuth:StateKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Cors:AllowedOrigins"] = baseUrl,
    };

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await RingCentral.DisposeAsync();
        await Supabase.DisposeAsync();
    }
}

/// <summary>The demo's address is taken (another demo, the service, or any other program).</summary>
public sealed class DemoPortInUseException(string baseUrl) : Exception($"{baseUrl} is already in use.")
{
    public string BaseUrl { get; } = baseUrl;
}
