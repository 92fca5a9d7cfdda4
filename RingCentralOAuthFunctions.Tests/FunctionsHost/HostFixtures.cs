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
