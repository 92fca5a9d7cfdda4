using System.Reflection;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.FunctionsTestHost;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>
/// The built Functions app (<c>RingCentralOAuthFunctions/bin/&lt;Configuration&gt;/net10.0</c>) running as its own
/// worker process under <see cref="FunctionsTestHost.FunctionsTestHost"/>, wired to a fake RingCentral and a fake
/// Supabase with the same settings <see cref="ServiceHost"/> uses. Its client fails any call made after the worker
/// died, with the worker's output.
/// </summary>
public sealed class FunctionsAppHost : IServiceUnderTest
{
    private FunctionsAppHost(FunctionsTestHost.FunctionsTestHost host, FakeRingCentral ringCentral, FakeSupabase supabase, string stateKey)
    {
        Host = host;
        RingCentral = ringCentral;
        Supabase = supabase;
        StateKey = stateKey;
        Client = new HttpClient(new WorkerWatch(host, new HttpClientHandler { AllowAutoRedirect = false })) { BaseAddress = new Uri(host.BaseUrl) };
    }

    public static string AppDirectory { get; } = typeof(FunctionsAppHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "FunctionsAppDirectory").Value!;

    public FunctionsTestHost.FunctionsTestHost Host { get; }
    public string HostName => "Functions app";
    public string BaseUrl => Host.BaseUrl;
    public HttpClient Client { get; }
    public FakeRingCentral RingCentral { get; }
    public FakeSupabase Supabase { get; }
    public string StateKey { get; }
    public string AppRedirectUrl => ServiceHost.AppRedirectUrl;
    public IReadOnlyList<string> LogLines() => Host.WorkerLogLines();

    /// <summary>Starts the fakes and the worker. <paramref name="settings"/> overrides or removes (null) settings.</summary>
    public static async Task<FunctionsAppHost> StartAsync(IDictionary<string, string?>? settings = null, Action<WorkerProcess>? onWorkerLaunched = null)
    {
        var ringCentral = await FakeRingCentral.StartNewAsync();
        var supabase = await FakeSupabase.StartNewAsync();
        var stateKey = ServiceHost.NewStateKey();
        var port = FunctionsTestHost.FunctionsTestHost.FreePort();
        var values = new Dictionary<string, string?>
        {
            ["RingCentral:ServerUrl"] = ringCentral.Url,
            ["RingCentral:ClientId"] = FakeRingCentral.ClientId,
            ["RingCentral:ClientSecret"] = FakeRingCentral.ClientSecret,
            ["Supabase:Url"] = supabase.Url,
            ["Supabase:ServiceRoleKey"] = supabase.ServiceKey,
            ["OAuth:CallbackUrl"] = $"http://127.0.0.1:{port}/api/ringcentral/callback",
            ["OAuth:AppRedirectUrl"] = ServiceHost.AppRedirectUrl,
            ["OAuth:StateKey"] = stateKey,
            ["Cors:AllowedOrigins"] = "https://erp.example.test",
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:RingCentralOAuthFunctions"] = "Trace",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;

        try
        {
            var host = await FunctionsTestHost.FunctionsTestHost.StartAsync(new FunctionsTestHostOptions
            {
                AppDirectory = AppDirectory,
                Settings = values,
                HttpPort = port,
                OnWorkerLaunched = onWorkerLaunched,
            });
            return new FunctionsAppHost(host, ringCentral, supabase, stateKey);
        }
        catch
        {
            await ringCentral.DisposeAsync();
            await supabase.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await RingCentral.DisposeAsync();
        await Supabase.DisposeAsync();
    }

    /// <summary>Turns a dead worker into a failed test that shows the worker's output, instead of a bare 502.</summary>
    private sealed class WorkerWatch(FunctionsTestHost.FunctionsTestHost host, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (host.WorkerFailed) throw new InvalidOperationException("The Functions worker is gone. " + host.Describe());
            var response = await base.SendAsync(request, cancellationToken);
            if (host.WorkerFailed) throw new InvalidOperationException("The Functions worker died during the request. " + host.Describe());
            return response;
        }
    }
}
