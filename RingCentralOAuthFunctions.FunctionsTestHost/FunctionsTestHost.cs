using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.FunctionsTestHost.Rpc;

namespace RingCentralOAuthFunctions.FunctionsTestHost;

/// <summary>How to start a <see cref="FunctionsTestHost"/>.</summary>
public sealed class FunctionsTestHostOptions
{
    /// <summary>The Functions app's build or publish output (holds the worker dll, host.json and worker.config.json).</summary>
    public required string AppDirectory { get; init; }

    /// <summary>The worker's assembly in <see cref="AppDirectory"/>; default: <c>defaultWorkerPath</c> of worker.config.json.</summary>
    public string? WorkerDll { get; init; }

    /// <summary>App settings (<c>:</c> or <c>__</c> in names), given to the worker as environment variables; a null value removes one.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The public HTTP port; 0 picks a free one.</summary>
    public int HttpPort { get; init; }

    /// <summary>How long the worker may take from launch to all functions loaded.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Changes the worker's command line before launch (tests of a worker that cannot connect).</summary>
    public Func<IReadOnlyList<string>, IReadOnlyList<string>>? AdjustArguments { get; init; }

    /// <summary>
    /// The host key (Azure's <c>default</c> host key): what a function with <c>AuthorizationLevel.Function</c> accepts as
    /// <c>?code=</c> or <c>x-functions-key</c>. Default: a new random key per host.
    /// </summary>
    public string? HostKey { get; init; }

    /// <summary>Called right after the worker process is launched, before the handshake (e.g. to watch its sockets from the start).</summary>
    public Action<WorkerProcess>? OnWorkerLaunched { get; init; }
}

/// <summary>
/// What the Azure Functions host does for an HTTP-only isolated app, and no more: a gRPC server on loopback for
/// the worker's event stream, the worker launched as the host launches it, the handshake, and a public HTTP
/// endpoint that matches each request to a function by method and route, forwards it to the worker's own server
/// (<c>HttpUri</c>) with <c>x-ms-invocation-id</c> and X-Forwarded-* headers while sending the InvocationRequest
/// over gRPC, and applies platform CORS from <c>Cors:AllowedOrigins</c>. Disposing sends WorkerTerminate.
/// </summary>
public sealed class FunctionsTestHost : IAsyncDisposable
{
    public const string InvocationIdHeader = "x-ms-invocation-id";
    private readonly WebApplication _grpc;
    private readonly WebApplication _front;
    private readonly HttpClient _forward;
    private bool _terminated;

    private FunctionsTestHost(WebApplication grpc, WebApplication front, WorkerChannel channel, WorkerProcess worker, HttpClient forward,
        string baseUrl, TimeSpan startup, string hostKey)
    {
        HostKey = hostKey;
        _grpc = grpc;
        _front = front;
        Channel = channel;
        Worker = worker;
        _forward = forward;
        BaseUrl = baseUrl;
        StartupTime = startup;
    }

    /// <summary>The public address, e.g. <c>http://127.0.0.1:PORT</c> (no trailing slash).</summary>
    public string BaseUrl { get; }
    public WorkerChannel Channel { get; }

    /// <summary>The key that opens functions of <c>AuthorizationLevel.Function</c> (see <see cref="FunctionsTestHostOptions.HostKey"/>).</summary>
    public string HostKey { get; }
    public WorkerProcess Worker { get; }

    /// <summary>From launching the worker to every function loaded.</summary>
    public TimeSpan StartupTime { get; }

    /// <summary>Set when the worker has exited or dropped its stream without being told to: a test should fail with <see cref="Describe"/>.</summary>
    public bool WorkerFailed => !_terminated && (Worker.HasExited || Channel.Closed.IsCompleted);

    /// <summary>The worker's state and everything it wrote to stdout/stderr, for failure messages.</summary>
    public string Describe() => Worker.Describe();

    /// <summary>Everything the worker logged: stdout/stderr lines and RpcLog messages (category, level, message, exception).</summary>
    public IReadOnlyList<string> WorkerLogLines() =>
    [
        .. Worker.Output,
        .. Channel.Logs.Select(l => $"rpc {l.Level} {l.Category} {l.EventId} {l.Message} {l.Exception?.Message} {l.Exception?.StackTrace} {l.Properties}"),
        .. Channel.FailedInvocations.Select(i => $"invocation {i.InvocationId} {i.Result?.Status}: {i.Result?.Exception?.Message} {i.Result?.Exception?.StackTrace}"),
    ];

    public static async Task<FunctionsTestHost> StartAsync(FunctionsTestHostOptions options, CancellationToken cancellationToken = default)
    {
        var appDirectory = Path.GetFullPath(options.AppDirectory);
        var workerDll = options.WorkerDll ?? DefaultWorkerPath(appDirectory);
        var routePrefix = RoutePrefix(appDirectory);
        var workerId = Guid.NewGuid().ToString();
        var channel = new WorkerChannel(workerId, appDirectory);

        var grpcPort = FreePort();
        var grpc = BuildGrpcServer(grpcPort, channel);
        await grpc.StartAsync(cancellationToken);

        var settings = options.Settings;
        var origins = (Setting(settings, "Cors:AllowedOrigins") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var forward = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        var httpPort = options.HttpPort == 0 ? FreePort() : options.HttpPort;
        var hostKey = options.HostKey ?? System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var front = BuildFront(httpPort, origins, routePrefix, channel, forward, hostKey);

        var arguments = WorkerProcess.HostArguments(workerDll, grpcPort, workerId, Guid.NewGuid().ToString());
        if (options.AdjustArguments is not null) arguments = options.AdjustArguments(arguments);
        var environment = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

        var clock = Stopwatch.StartNew();
        var worker = WorkerProcess.Start(appDirectory, arguments, environment);
        try
        {
            options.OnWorkerLaunched?.Invoke(worker);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            var finished = await Task.WhenAny(channel.Ready, worker.Exited, Task.Delay(Timeout.Infinite, timeout.Token));
            if (finished != channel.Ready || !channel.Ready.IsCompletedSuccessfully)
            {
                var why = finished == channel.Ready ? channel.Ready.Exception!.InnerException!.Message
                    : finished == worker.Exited ? "The worker exited before it had loaded its functions."
                    : $"The worker did not connect and load its functions within {options.StartTimeout.TotalSeconds:0} s.";
                throw new WorkerStartException(why + "\n" + worker.Describe());
            }
            var startup = clock.Elapsed;

            await front.StartAsync(cancellationToken);
            return new FunctionsTestHost(grpc, front, channel, worker, forward, $"http://127.0.0.1:{httpPort}", startup, hostKey);
        }
        catch
        {
            worker.Dispose();
            forward.Dispose();
            await grpc.DisposeAsync();
            await front.DisposeAsync();
            throw;
        }
    }

    private static WebApplication BuildGrpcServer(int port, WorkerChannel channel)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => { o.MaxReceiveMessageSize = null; o.MaxSendMessageSize = null; });
        builder.Services.AddSingleton(channel);
        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        return app;
    }

    private static WebApplication BuildFront(int port, string[] origins, string routePrefix, WorkerChannel channel, HttpClient forward, string hostKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.AddServerHeader = false;
            // The local host's limits, so both hosts answer oversized requests alike (docs/functions-adapter.md says
            // what Azure's front end does instead). The body limit is the Functions host's 100 MB: the app refuses
            // bodies over 16 KB itself.
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxRequestBodySize = 100 * 1024 * 1024;
        });
        // Platform CORS as the Functions host applies it: the configured origins, any method and header, no credentials.
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy.WithOrigins(origins).AllowAnyMethod().AllowAnyHeader()));
        var app = builder.Build();
        if (origins.Length > 0) app.UseCors();
        app.Run(context => ForwardAsync(context, routePrefix, channel, forward, hostKey));
        return app;
    }

    /// <summary>One request: match a function, forward the raw request to the worker's HttpUri, send the InvocationRequest, relay the answer.</summary>
    private static async Task ForwardAsync(HttpContext context, string routePrefix, WorkerChannel channel, HttpClient forward, string hostKey)
    {
        var function = Match(channel.Functions, routePrefix, context.Request.Method, context.Request.Path.Value ?? "");
        if (function is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!Authorized(function, context.Request, hostKey))
        {
            // As the Functions host: a missing or wrong key is a bare 401, and the worker never sees the request.
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var invocationId = Guid.NewGuid().ToString();
        var request = context.Request;
        var target = new Uri(channel.HttpUri!, request.Path.Value + request.QueryString.Value);
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), target);
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        if (hasBody) message.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue;
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values))
                message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values);
        }
        message.Headers.TryAddWithoutValidation(InvocationIdHeader, invocationId);
        message.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString());
        message.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        message.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);

        // The host's invocation activity: a new W3C trace id per request (or the caller's traceparent).
        var traceParent = request.Headers.TryGetValue("traceparent", out var given) && given.Count == 1 ? given.ToString()
            : $"00-{System.Diagnostics.ActivityTraceId.CreateRandom()}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-00";
        var invocation = channel.InvokeAsync(function, invocationId, traceParent, context.RequestAborted);
        HttpResponseMessage response;
        try
        {
            response = await SendWithRetryAsync(forward, message, context.RequestAborted);
        }
        catch (HttpRequestException)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        using (response)
        {
            InvocationResponse result;
            try
            {
                result = await invocation;
            }
            catch (InvalidOperationException)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                return;
            }

            if (result.Result?.Status != StatusResult.Types.Status.Success)
            {
                // The Functions host answers a failed invocation with a bare 500.
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (HopByHop.Contains(name)) continue;
                context.Response.Headers.Append(name, values.ToArray());
            }
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    /// <summary>
    /// The Functions host's key check: <c>anonymous</c> needs nothing; <c>function</c> needs a key, as <c>?code=</c> or
    /// the <c>x-functions-key</c> header (the header wins when both are given), here the one host key; <c>admin</c>
    /// (the master key) is not offered by this host and is always refused.
    /// </summary>
    public static bool Authorized(HttpFunction function, HttpRequest request, string hostKey)
    {
        if (function.AuthLevel == "anonymous") return true;
        if (function.AuthLevel != "function") return false;
        var given = request.Headers.TryGetValue("x-functions-key", out var header) && header.Count == 1 ? header.ToString()
            : request.Query.TryGetValue("code", out var code) && code.Count == 1 ? code.ToString()
            : null;
        return given is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(hostKey));
    }

    /// <summary>
    /// The worker reports <c>HttpUri</c> before its server necessarily listens: a refused connection (nothing sent) is
    /// retried briefly, as the Functions host's proxy retries it.
    /// </summary>
    private static async Task<HttpResponseMessage> SendWithRetryAsync(HttpClient forward, HttpRequestMessage message, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await forward.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException ex) when (attempt < 40 && ex.HttpRequestError == HttpRequestError.ConnectionError
                && ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                await Task.Delay(50, cancellationToken);
                message = Clone(message);
            }
        }
    }

    private static HttpRequestMessage Clone(HttpRequestMessage message)
    {
        var copy = new HttpRequestMessage(message.Method, message.RequestUri) { Content = message.Content, Version = message.Version };
        foreach (var (name, values) in message.Headers) copy.Headers.TryAddWithoutValidation(name, values);
        return copy;
    }

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authorization", "Proxy-Authenticate",
    };

    /// <summary>The function whose httpTrigger accepts this method and whose <c>routePrefix/route</c> matches the path (literal segments, <c>{name}</c> any one segment).</summary>
    public static HttpFunction? Match(IEnumerable<HttpFunction> functions, string routePrefix, string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        foreach (var function in functions)
        {
            if (function.Methods.Count > 0 && !function.Methods.Contains(method.ToUpperInvariant())) continue;
            var template = (routePrefix.Trim('/') + "/" + function.Route.Trim('/')).Trim('/').Split('/');
            if (template.Length != segments.Length) continue;
            var matches = true;
            for (var i = 0; i < template.Length && matches; i++)
            {
                matches = template[i].StartsWith('{') && template[i].EndsWith('}')
                    ? segments[i].Length > 0
                    : string.Equals(template[i], Uri.UnescapeDataString(segments[i]), StringComparison.OrdinalIgnoreCase);
            }
            if (matches) return function;
        }

        return null;
    }

    /// <summary>Sends WorkerTerminate, waits for the worker to exit (killing it after the grace period), stops both servers.</summary>
    public async ValueTask DisposeAsync()
    {
        var grace = TimeSpan.FromSeconds(5);
        if (!Worker.HasExited && !Channel.Closed.IsCompleted)
        {
            _terminated = true;
            try
            {
                await Channel.TerminateAsync(grace);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException)
            {
                // the stream is already gone: the process is stopped below
            }
        }
        _terminated = true;
        await Worker.StopAsync(grace);
        Worker.Dispose();
        _forward.Dispose();
        await _front.StopAsync();
        await _front.DisposeAsync();
        await _grpc.StopAsync();
        await _grpc.DisposeAsync();
    }

    private static string? Setting(IReadOnlyDictionary<string, string?> settings, string name) =>
        settings.TryGetValue(name, out var value) ? value
        : settings.TryGetValue(name.Replace(":", "__", StringComparison.Ordinal), out value) ? value
        : null;

    private static string DefaultWorkerPath(string appDirectory)
    {
        var config = Path.Combine(appDirectory, "worker.config.json");
        if (!File.Exists(config)) throw new WorkerStartException($"No worker.config.json in {appDirectory}: is that the Functions app's build output?");
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        return json.RootElement.GetProperty("description").GetProperty("defaultWorkerPath").GetString()!;
    }

    private static string RoutePrefix(string appDirectory)
    {
        var file = Path.Combine(appDirectory, "host.json");
        if (!File.Exists(file)) return "api";
        using var json = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return json.RootElement.TryGetProperty("extensions", out var e) && e.TryGetProperty("http", out var h)
            && h.TryGetProperty("routePrefix", out var p) && p.ValueKind == JsonValueKind.String
            ? p.GetString()!
            : "api";
    }

    /// <summary>
    /// A free loopback port for a server that binds it a moment later (a port that must be known before start: the
    /// callback URL names it). Ports come from below the kernel's ephemeral range, which every <c>:0</c> bind and
    /// outgoing connection draws from, and each at most once per process: a fake or another host started in between
    /// can no longer take the port first ("address already in use" under a busy test run).
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < PortSpan; attempt++)
        {
            var port = FirstPort + (int)((uint)Interlocked.Increment(ref _portCursor) % PortSpan);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken by something else on this machine: the next one.
            }
        }
        throw new InvalidOperationException($"No free loopback port in {FirstPort}-{FirstPort + PortSpan - 1}.");
    }

    private const int FirstPort = 20_000;
    private static readonly int PortSpan = EphemeralRangeStart() - FirstPort;
    // Two processes (a test run and a benchmark) start at different places in the span.
    private static int _portCursor = Random.Shared.Next(0, 1_000_000);

    private static int EphemeralRangeStart()
    {
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[0];
            return int.TryParse(first, out var start) && start > FirstPort + 1_000 ? start : 32_768;
        }
        catch (IOException) { return 32_768; }
        catch (UnauthorizedAccessException) { return 32_768; }
    }
}

/// <summary>The worker died, refused the handshake or never connected; the message carries its output.</summary>
public sealed class WorkerStartException(string message) : Exception(message);
