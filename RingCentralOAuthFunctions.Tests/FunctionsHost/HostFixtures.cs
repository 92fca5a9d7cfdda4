using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>One running service for a whole test class (a worker start costs about a second); tests isolate their state with fresh user ids.</summary>
public interface IServiceFixture
{
    IServiceUnderTest Service { get; }
}

/// <summary>The built Functions app under the Functions test host.</summary>
public sealed class FunctionsAppFixture : IServiceFixture, IAsyncLifetime
{
    private FunctionsAppHost? _host;
    public IServiceUnderTest Service => _host ?? throw new InvalidOperationException("not started");
    public FunctionsAppHost Host => _host ?? throw new InvalidOperationException("not started");
    public async Task InitializeAsync() => _host = await FunctionsAppHost.StartAsync();
    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <summary>The local host (ASP.NET Core's own server), in process.</summary>
public sealed class LocalHostFixture : IServiceFixture, IAsyncLifetime
{
    private ServiceHost? _host;
    public IServiceUnderTest Service => _host ?? throw new InvalidOperationException("not started");
    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync();
    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <summary>
/// Another instance of the same app (another worker, or another local host) sharing the fixture's fake RingCentral and
/// fake Supabase, its state key and its callback URL: as two instances behind one Functions app. Disposing it stops
/// only that instance.
/// </summary>
public sealed class OtherInstance : IServiceUnderTest
{
    private readonly IServiceUnderTest _inner;
    private readonly Func<ValueTask> _stop;

    private OtherInstance(IServiceUnderTest inner, IServiceUnderTest first, Func<ValueTask> stop)
    {
        (_inner, _stop) = (inner, stop);
        (RingCentral, Supabase, StateKey) = (first.RingCentral, first.Supabase, first.StateKey);
    }

    public static async Task<OtherInstance> StartAsync(IServiceUnderTest first, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["RingCentral:ServerUrl"] = first.RingCentral.Url,
            ["Supabase:Url"] = first.Supabase.Url,
            ["Supabase:ServiceRoleKey"] = first.Supabase.ServiceKey,
            ["OAuth:StateKey"] = first.StateKey,
            ["OAuth:CallbackUrl"] = first.BaseUrl + "/api/ringcentral/callback",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;

        if (first is FunctionsAppHost)
        {
            var functions = await FunctionsAppHost.StartAsync(values);
            return new OtherInstance(functions, first, functions.DisposeAsync); // its own fakes are unused and disposed with it
        }

        var local = await ServiceHost.StartAsync(values, ringCentral: first.RingCentral, supabase: first.Supabase);
        return new OtherInstance(local, first, async () =>
        {
            local.Client.Dispose();
            await local.App.StopAsync();
            await local.App.DisposeAsync();
        });
    }

    public string HostName => _inner.HostName + " (another instance)";
    public string BaseUrl => _inner.BaseUrl;
    public HttpClient Client => _inner.Client;
    public FakeRingCentral RingCentral { get; }
    public FakeSupabase Supabase { get; }
    public string StateKey { get; }
    public string AppRedirectUrl => _inner.AppRedirectUrl;
    public IReadOnlyList<string> LogLines() => _inner.LogLines();
    public ValueTask DisposeAsync() => _stop();
}
