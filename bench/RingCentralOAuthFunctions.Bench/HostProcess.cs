using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>
/// The local host as its own OS process (<c>dotnet &lt;dll&gt; --urls ...</c>), started through <c>sh -c exec</c> only to
/// send its console output to a file: after <c>exec</c> the pid is the .NET process itself, so /proc/&lt;pid&gt; is its.
/// </summary>
internal sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly long _startTimestamp;

    private HostProcess(Process process, long startTimestamp, string baseUrl, string logPath)
    {
        _process = process;
        _startTimestamp = startTimestamp;
        BaseUrl = baseUrl;
        LogPath = logPath;
    }

    public string BaseUrl { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public static HostProcess Start(string dll, int port, IReadOnlyDictionary<string, string> environment, string workDir, string logPath)
    {
        var baseUrl = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var arg in new[] { "-c", "exec \"$0\" \"$1\" --urls \"$2\" >\"$3\" 2>&1", DotnetPath(), dll, baseUrl, logPath })
            info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) info.Environment[name] = value;

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the host");
        return new HostProcess(process, started, baseUrl, logPath);
    }

    /// <summary>Polls <c>GET /api/health</c> every ~2 ms until it answers 200; the time since just before <see cref="Process.Start()"/>.</summary>
    public async Task<TimeSpan> WaitUntilHealthyAsync(HttpClient poller, TimeSpan timeout)
    {
        var url = BaseUrl + "/api/health";
        HttpStatusCode? last = null;
        while (Stopwatch.GetElapsedTime(_startTimestamp) < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the host exited with {_process.ExitCode}; see {LogPath}");
            try
            {
                using var response = await poller.GetAsync(url);
                last = response.StatusCode;
                if (response.StatusCode == HttpStatusCode.OK) return Stopwatch.GetElapsedTime(_startTimestamp);
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(2);
        }

        throw new TimeoutException($"/api/health did not answer 200 within {timeout.TotalSeconds} s (last: {last?.ToString() ?? "no answer"}); see {LogPath}");
    }

    /// <summary>Peak resident set size (VmHWM) in bytes.</summary>
    public long PeakRssBytes() => StatusField("VmHWM:");

    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public long RssBytes() => StatusField("VmRSS:");

    /// <summary>User + system CPU time the host has used so far (from /proc/&lt;pid&gt;/stat, 10 ms ticks).</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private long StatusField(string name)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal)) continue;
            var kb = line[name.Length..].Trim().Split(' ')[0];
            return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
        }

        throw new InvalidOperationException($"{name} not in /proc/{Pid}/status");
    }

    /// <summary>
    /// Stops the host as a developer does (SIGTERM, like Ctrl+C: a graceful stop, which writes the local host's
    /// multicore JIT profile for its next start), and kills it if it has not exited within 10 s.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    public static int FreePort() => FunctionsTestHost.FunctionsTestHost.FreePort();

    /// <summary>The dotnet executable running this benchmark, so the host runs on the same runtime.</summary>
    private static string DotnetPath()
    {
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
