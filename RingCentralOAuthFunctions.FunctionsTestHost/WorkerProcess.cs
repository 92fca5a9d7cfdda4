using System.Collections.Concurrent;
using System.Diagnostics;

namespace RingCentralOAuthFunctions.FunctionsTestHost;

/// <summary>
/// The isolated worker process, launched the way the Functions host launches a dotnet-isolated worker: <c>dotnet
/// &lt;app&gt;.dll</c> with the host's command line, the app's output folder as working directory, and the app
/// settings as environment variables. Every line it writes to stdout or stderr is kept.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue("stderr: " + e.Data); };
        _process.Exited += (_, _) => _ = RecordExitAsync();
    }

    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Id { get; private set; }
    public bool HasExited => _exited.Task.IsCompleted;
    public int? ExitCode => _exited.Task.IsCompleted ? _exited.Task.Result : null;
    public Task Exited => _exited.Task;

    /// <summary>Everything the worker wrote to stdout and stderr so far (stderr lines prefixed with <c>stderr: </c>).</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>The host's command line for a dotnet-isolated worker (both the legacy and the <c>--functions-</c> names).</summary>
    public static IReadOnlyList<string> HostArguments(string workerDll, int grpcPort, string workerId, string requestId) =>
    [
        workerDll,
        "--host", "127.0.0.1", "--port", grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--workerId", workerId, "--requestId", requestId, "--grpcMaxMessageLength", "2147483647",
        "--functions-uri", $"http://127.0.0.1:{grpcPort}/",
        "--functions-worker-id", workerId, "--functions-request-id", requestId,
        "--functions-grpc-max-message-length", "2147483647",
    ];

    public static WorkerProcess Start(string appDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        // Nothing of the test runner's own telemetry or hosting settings reaches the worker; it gets what the host
        // gives a worker, plus the app settings.
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("APPLICATIONINSIGHTS_", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("AzureWebJobs", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(name);
        }

        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory;
        start.Environment["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory;
        start.Environment["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development";
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.Start();
        worker.Id = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private async Task RecordExitAsync()
    {
        await _process.WaitForExitAsync(); // also waits for the end of its output
        _exited.TrySetResult(_process.ExitCode);
    }

    /// <summary>Waits for the worker to exit on its own (after WorkerTerminate), then kills it if it has not.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (HasExited) return;
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _exited.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _exited.Task;
        }
    }

    public string Describe() =>
        (HasExited ? $"worker exited with code {ExitCode}" : "worker still running") + "; its output:\n" + string.Join('\n', Output);

    public void Dispose()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
        _process.Dispose();
    }
}
