using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RingCentralOAuthFunctions.Fakes;

/// <summary>A request a fake received, for asserting exactly what the service sent.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>An injected upstream fault: answer <paramref name="Status"/> with <paramref name="Body"/> after <paramref name="Delay"/>.</summary>
public sealed record Fault(int Status, string Body = "", string ContentType = "application/json", TimeSpan Delay = default,
    IReadOnlyDictionary<string, string>? Headers = null, int Times = int.MaxValue)
{
    /// <summary>No answer for far longer than any client timeout.</summary>
    public static Fault Hang => new(504, Delay: TimeSpan.FromSeconds(60));
}

/// <summary>A small Kestrel app on 127.0.0.1 with a random port, recording requests and applying faults and a fixed added delay.</summary>
public abstract class FakeServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Fault> _faults = new();
    private WebApplication? _app;

    public Uri BaseUrl { get; private set; } = null!;
    public string Url => BaseUrl.ToString().TrimEnd('/');
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Keep every request for assertions (tests); the benchmark turns it off so the fake stays cheap under load.</summary>
    public bool RecordRequests { get; set; } = true;

    /// <summary>Added to every answer (the benchmark's stand-in for network and upstream latency).</summary>
    public TimeSpan AddedDelay { get; set; }

    /// <summary>Make the route named <paramref name="route"/> answer with <paramref name="fault"/> (for <see cref="Fault.Times"/> requests).</summary>
    public void Inject(string route, Fault fault) => _faults[route] = fault;
    public void ClearFaults() => _faults.Clear();

    public IEnumerable<RecordedRequest> RequestsTo(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    protected abstract void Map(WebApplication app);

    protected async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            if (RecordRequests)
            {
                context.Request.EnableBuffering();
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
                context.Request.Body.Position = 0;
                Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            }

            if (AddedDelay > TimeSpan.Zero) await Task.Delay(AddedDelay, context.RequestAborted);
            await next(context);
        });
        Map(_app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1"));
    }

    /// <summary>Answers the injected fault for <paramref name="route"/>, if any; true when it did.</summary>
    protected async Task<bool> TryFaultAsync(HttpContext context, string route)
    {
        if (!_faults.TryGetValue(route, out var fault)) return false;
        if (fault.Times != int.MaxValue)
        {
            if (fault.Times <= 0) return false;
            _faults[route] = fault with { Times = fault.Times - 1 };
        }

        try
        {
            if (fault.Delay > TimeSpan.Zero) await Task.Delay(fault.Delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return true;
        }

        context.Response.StatusCode = fault.Status;
        foreach (var (name, value) in fault.Headers ?? new Dictionary<string, string>()) context.Response.Headers[name] = value;
        if (fault.Body.Length > 0)
        {
            context.Response.ContentType = fault.ContentType;
            await context.Response.WriteAsync(fault.Body);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
