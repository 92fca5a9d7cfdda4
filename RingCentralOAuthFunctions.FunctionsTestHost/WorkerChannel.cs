using System.Collections.Concurrent;
using System.Text.Json;
using Grpc.Core;
using RingCentralOAuthFunctions.FunctionsTestHost.Rpc;

namespace RingCentralOAuthFunctions.FunctionsTestHost;

/// <summary>One HTTP-triggered function as the worker described it: its id, trigger binding, methods and route.</summary>
/// <param name="AuthLevel">The httpTrigger's <c>authLevel</c> as the worker declared it (<c>anonymous</c>, <c>function</c>, <c>admin</c>), lower case.</param>
public sealed record HttpFunction(string Name, string FunctionId, string TriggerBinding, IReadOnlyList<string> Methods, string Route, string AuthLevel = "anonymous");

/// <summary>
/// The host's side of the worker's one <c>EventStream</c>: the handshake (StartStream, WorkerInitRequest/Response,
/// FunctionsMetadataRequest/FunctionMetadataResponse, one FunctionLoadRequest/Response per function), then
/// invocations, the worker's RpcLog messages, and WorkerTerminate.
/// </summary>
public sealed class WorkerChannel
{
    public const string HostVersion = "4.0.0-testhost";
    private readonly string _workerId;
    private readonly string _appDirectory;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new();
    private readonly ConcurrentQueue<RpcLog> _logs = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<HttpFunction> _functions = [];
    private readonly ConcurrentDictionary<string, long> _firstSeen = new(StringComparer.Ordinal);
    private int _pendingLoads;
    private IServerStreamWriter<StreamingMessage>? _writer;
    private int _connected;

    public WorkerChannel(string workerId, string appDirectory)
    {
        _workerId = workerId;
        _appDirectory = appDirectory;
    }

    /// <summary>Completes when every function is loaded; faults when the worker refuses a step or the stream ends first.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Completes when the worker's stream has ended.</summary>
    public Task Closed => _closed.Task;

    public Uri? HttpUri { get; private set; }
    public IReadOnlyDictionary<string, string> WorkerCapabilities { get; private set; } = new Dictionary<string, string>();
    public IReadOnlyList<HttpFunction> Functions => _functions;

    /// <summary>Every RpcLog message the worker sent (its ILogger output as the Functions host receives it).</summary>
    public IReadOnlyList<RpcLog> Logs => [.. _logs];

    /// <summary>
    /// When each kind of message first arrived from the worker (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>,
    /// keyed by <see cref="StreamingMessage.ContentOneofCase"/> name; FunctionLoadResponse is the last one): the
    /// benchmark's start-up timeline.
    /// </summary>
    public IReadOnlyDictionary<string, long> FirstSeen => _firstSeen;

    /// <summary>Invocations the worker answered with a status other than Success.</summary>
    public ConcurrentQueue<InvocationResponse> FailedInvocations { get; } = new();

    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> reader, IServerStreamWriter<StreamingMessage> writer, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _connected, 1) == 1)
            throw new Grpc.Core.RpcException(new Status(StatusCode.AlreadyExists, "This host serves one worker stream."));
        _writer = writer;
        try
        {
            while (await reader.MoveNext(cancellationToken))
                await HandleAsync(reader.Current);
            Fail("The worker closed its stream.");
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or Grpc.Core.RpcException or InvalidOperationException)
        {
            Fail("The worker's stream broke: " + ex.Message);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    private async Task HandleAsync(StreamingMessage message)
    {
        if (message.ContentCase == StreamingMessage.ContentOneofCase.FunctionLoadResponse)
            _firstSeen[message.ContentCase.ToString()] = System.Diagnostics.Stopwatch.GetTimestamp();
        else
            _firstSeen.TryAdd(message.ContentCase.ToString(), System.Diagnostics.Stopwatch.GetTimestamp());
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.StartStream:
                if (message.StartStream.WorkerId != _workerId)
                {
                    Fail($"StartStream from worker id '{message.StartStream.WorkerId}', expected '{_workerId}'.");
                    return;
                }
                await SendAsync(new StreamingMessage
                {
                    RequestId = message.RequestId,
                    WorkerInitRequest = new WorkerInitRequest
                    {
                        HostVersion = HostVersion,
                        WorkerDirectory = _appDirectory,
                        FunctionAppDirectory = _appDirectory,
                    },
                });
                break;

            case StreamingMessage.ContentOneofCase.WorkerInitResponse:
                var init = message.WorkerInitResponse;
                if (init.Result?.Status != StatusResult.Types.Status.Success)
                {
                    Fail("WorkerInitResponse was not Success: " + Describe(init.Result));
                    return;
                }
                WorkerCapabilities = new Dictionary<string, string>(init.Capabilities);
                if (!init.Capabilities.TryGetValue("HttpUri", out var httpUri) || !Uri.TryCreate(httpUri, UriKind.Absolute, out var uri))
                {
                    Fail("WorkerInitResponse has no HttpUri capability (is ASP.NET Core integration on?).");
                    return;
                }
                HttpUri = uri;
                await SendAsync(new StreamingMessage
                {
                    RequestId = message.RequestId,
                    FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = _appDirectory },
                });
                break;

            case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                await LoadFunctionsAsync(message);
                break;

            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                var load = message.FunctionLoadResponse;
                if (load.Result?.Status != StatusResult.Types.Status.Success)
                {
                    Fail($"FunctionLoadResponse for {load.FunctionId} was not Success: " + Describe(load.Result));
                    return;
                }
                if (Interlocked.Decrement(ref _pendingLoads) == 0) _ready.TrySetResult();
                break;

            case StreamingMessage.ContentOneofCase.InvocationResponse:
                var response = message.InvocationResponse;
                if (response.Result?.Status != StatusResult.Types.Status.Success) FailedInvocations.Enqueue(response);
                if (_invocations.TryRemove(response.InvocationId, out var pending)) pending.TrySetResult(response);
                break;

            case StreamingMessage.ContentOneofCase.RpcLog:
                _logs.Enqueue(message.RpcLog);
                break;
        }
    }

    private async Task LoadFunctionsAsync(StreamingMessage message)
    {
        var metadata = message.FunctionMetadataResponse;
        if (metadata.Result?.Status != StatusResult.Types.Status.Success)
        {
            Fail("FunctionMetadataResponse was not Success: " + Describe(metadata.Result));
            return;
        }
        if (metadata.UseDefaultMetadataIndexing || metadata.FunctionMetadataResults.Count == 0)
        {
            Fail("The worker indexed no functions (host-side indexing is not supported by this host).");
            return;
        }

        var loads = new List<StreamingMessage>();
        foreach (var function in metadata.FunctionMetadataResults)
        {
            if (string.IsNullOrEmpty(function.FunctionId)) function.FunctionId = Guid.NewGuid().ToString();
            if (function.Bindings.Count == 0)
            {
                foreach (var raw in function.RawBindings)
                {
                    using var binding = JsonDocument.Parse(raw);
                    function.Bindings[Text(binding.RootElement, "name")] = new BindingInfo
                    {
                        Type = Text(binding.RootElement, "type"),
                        Direction = Enum.Parse<BindingInfo.Types.Direction>(Text(binding.RootElement, "direction"), ignoreCase: true),
                    };
                }
            }

            if (HttpTrigger(function) is { } route) _functions.Add(route);
            loads.Add(new StreamingMessage
            {
                RequestId = message.RequestId,
                FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function },
            });
        }

        _pendingLoads = loads.Count;
        foreach (var load in loads) await SendAsync(load);
    }

    private static HttpFunction? HttpTrigger(RpcFunctionMetadata function)
    {
        foreach (var raw in function.RawBindings)
        {
            using var binding = JsonDocument.Parse(raw);
            var root = binding.RootElement;
            if (!string.Equals(Text(root, "type"), "httpTrigger", StringComparison.OrdinalIgnoreCase)) continue;
            var methods = root.TryGetProperty("methods", out var m) && m.ValueKind == JsonValueKind.Array
                ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).ToList()
                : [];
            var route = root.TryGetProperty("route", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : function.Name;
            var authLevel = Text(root, "authLevel") is { Length: > 0 } level ? level.ToLowerInvariant() : "function"; // the host's default
            return new HttpFunction(function.Name, function.FunctionId, Text(root, "name"), methods, route, authLevel);
        }

        return null;
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    /// <summary>Sends the InvocationRequest for one forwarded HTTP request; the task completes with the worker's InvocationResponse.</summary>
    public async Task<InvocationResponse> InvokeAsync(HttpFunction function, string invocationId, string? traceParent, CancellationToken cancellationToken)
    {
        var pending = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Closed.IsCompleted) throw new InvalidOperationException("The worker's stream has ended.");
        _invocations[invocationId] = pending;
        await SendAsync(new StreamingMessage
        {
            RequestId = Guid.NewGuid().ToString(),
            InvocationRequest = new InvocationRequest
            {
                InvocationId = invocationId,
                FunctionId = function.FunctionId,
                InputData = { new ParameterBinding { Name = function.TriggerBinding, Data = new TypedData { Http = new RpcHttp() } } },
                TraceContext = new RpcTraceContext { TraceParent = traceParent ?? "" },
            },
        });
        if (Closed.IsCompleted) throw new InvalidOperationException("The worker's stream has ended.");
        return await pending.Task.WaitAsync(cancellationToken);
    }

    public Task TerminateAsync(TimeSpan grace) => SendAsync(new StreamingMessage
    {
        RequestId = Guid.NewGuid().ToString(),
        WorkerTerminate = new WorkerTerminate { GracePeriod = new Duration { Seconds = (long)grace.TotalSeconds } },
    });

    private async Task SendAsync(StreamingMessage message)
    {
        var writer = _writer ?? throw new InvalidOperationException("No worker is connected.");
        await _writeLock.WaitAsync();
        try
        {
            await writer.WriteAsync(message);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Fail(string reason)
    {
        var error = new InvalidOperationException(reason);
        _ready.TrySetException(error);
        foreach (var id in _invocations.Keys)
            if (_invocations.TryRemove(id, out var pending)) pending.TrySetException(error);
    }

    private static string Describe(StatusResult? result) =>
        result is null ? "(no result)" : $"{result.Status} {result.Result} {result.Exception?.Message} {result.Exception?.StackTrace}";
}
