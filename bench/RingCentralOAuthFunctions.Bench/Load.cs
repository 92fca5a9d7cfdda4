using System.Diagnostics;
using System.Net;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>What one load phase measured.</summary>
internal sealed record PhaseResult(string Name, int Concurrency, long Completed, long Failed, TimeSpan Elapsed, double[] LatenciesMs,
    TimeSpan HostCpu, TimeSpan BenchCpu)
{
    public double RequestsPerSecond => Completed / Elapsed.TotalSeconds;
    public double HostCpuMicrosPerRequest => Completed == 0 ? 0 : HostCpu.TotalMicroseconds / Completed;
    public double BenchCpuMicrosPerRequest => Completed == 0 ? 0 : BenchCpu.TotalMicroseconds / Completed;
    public double P50 => Stats.Percentile(LatenciesMs, 50);
    public double P99 => Stats.Percentile(LatenciesMs, 99);
    public double Max => LatenciesMs.Length == 0 ? 0 : LatenciesMs.Max();
}

internal static class Stats
{
    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(double[] values, double percentile)
    {
        if (values.Length == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values) => Percentile(values.ToArray(), 50);
}

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers, each sending its next request as soon as the previous answer is
/// read, until the duration is over or <c>maxRequests</c> were sent. Every request is timed; a wrong status counts as failed.
/// </summary>
internal static class Load
{
    public static HttpClient NewClient(int maxConnections) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<PhaseResult> RunAsync(string name, HostProcess host, HttpClient client, int concurrency, TimeSpan duration,
        long maxRequests, Func<long, HttpRequestMessage> request, HttpStatusCode expected, Func<HttpResponseMessage, bool>? check = null)
    {
        long sent = 0, failed = 0;
        var latencies = new List<double>[concurrency];
        var hostCpu = host.CpuTime();
        var benchCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();

        async Task Worker(int index)
        {
            var mine = latencies[index] = new List<double>(4096);
            while (Stopwatch.GetElapsedTime(start) < duration)
            {
                var n = Interlocked.Increment(ref sent);
                if (n > maxRequests) break;
                using var message = request(n);
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    if (response.StatusCode != expected || (check is not null && !check(response))) Interlocked.Increment(ref failed);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => Task.Run(() => Worker(i))));
        var elapsed = Stopwatch.GetElapsedTime(start);
        var all = latencies.SelectMany(l => l).ToArray();
        return new PhaseResult(name, concurrency, all.Length, failed, elapsed, all,
            host.CpuTime() - hostCpu, Process.GetCurrentProcess().TotalProcessorTime - benchCpu);
    }

    /// <summary>Runs <paramref name="items"/> through <paramref name="action"/> with at most <paramref name="concurrency"/> at a time.</summary>
    public static async Task ForEachAsync<T>(IReadOnlyList<T> items, int concurrency, Func<T, Task> action)
    {
        var next = -1;
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Count) await action(items[i]);
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
    }
}
