using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.FunctionsTestHost;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>
/// The Functions path: the published Functions app as its own worker process under the Functions test host (the same
/// host the tests use), against the same in-process fakes with the same added delay as the local-host run. Measures
/// launch to first 200 from /api/health through the host, health and auth-url throughput, sequential callback
/// latency interleaved with direct replays of its upstream calls, and the worker's peak RSS (VmHWM).
/// Run by bench/run.sh after the local host (<c>--functions-app DIR</c>).
/// </summary>
internal static class FunctionsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var appDir = Path.GetFullPath(Arg("--functions-app", ""));
        var label = Arg("--label", "Functions app");
        var delayMs = int.Parse(Arg("--delay-ms", "20"), CultureInfo.InvariantCulture);
        var starts = int.Parse(Arg("--starts", "5"), CultureInfo.InvariantCulture);
        var phaseSeconds = double.Parse(Arg("--phase-seconds", "3"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg("--concurrency", "16"), CultureInfo.InvariantCulture);
        var callbacks = int.Parse(Arg("--callbacks", "100"), CultureInfo.InvariantCulture);
        var report = Arg("--report", "");
        void Say(string text) => Console.Error.WriteLine($"[functions bench] {text}");

        await using var ringCentral = await FakeRingCentral.StartNewAsync();
        await using var supabase = await FakeSupabase.StartNewAsync();
        var stateKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Dictionary<string, string?> Settings(int port) => new()
        {
            ["RingCentral:ServerUrl"] = ringCentral.Url,
            ["RingCentral:ClientId"] = FakeRingCentral.ClientId,
            ["RingCentral:ClientSecret"] = FakeRingCentral.ClientSecret,
            ["Supabase:Url"] = supabase.Url,
            ["Supabase:ServiceRoleKey"] = supabase.ServiceKey,
            ["OAuth:CallbackUrl"] = $"http://127.0.0.1:{port}/api/ringcentral/callback",
            ["OAuth:AppRedirectUrl"] = "https://erp.example.test/integrations/callback",
            ["OAuth:StateKey"] = stateKey,
            ["Cors:AllowedOrigins"] = "https://erp.example.test",
            // As in Azure (infra/main.bicep): the app's events at Information, the framework at Warning.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:RingCentralOAuthFunctions"] = "Information",
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production",
        };

        using var poller = Load.NewClient(1);
        var startTimes = new List<double>();
        var handshakeTimes = new List<double>();
        FunctionsTestHost.FunctionsTestHost? host = null;
        try
        {
            for (var i = 0; i < starts; i++)
            {
                if (host is not null) await host.DisposeAsync();
                var port = FunctionsTestHost.FunctionsTestHost.FreePort();
                var clock = Stopwatch.StartNew();
                host = await FunctionsTestHost.FunctionsTestHost.StartAsync(new FunctionsTestHostOptions { AppDirectory = appDir, Settings = Settings(port), HttpPort = port });
                using var first = await poller.GetAsync(host.BaseUrl + "/api/health");
                if (first.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"health answered {first.StatusCode}: {host.Describe()}");
                startTimes.Add(clock.Elapsed.TotalSeconds);
                handshakeTimes.Add(host.StartupTime.TotalSeconds);
                Say($"start {i + 1}/{starts}: first 200 after {startTimes[^1] * 1000:F0} ms (worker loaded after {handshakeTimes[^1] * 1000:F0} ms)");
            }

            var h = host!;
            ringCentral.AddedDelay = supabase.AddedDelay = TimeSpan.FromMilliseconds(delayMs);
            ringCentral.RecordRequests = supabase.RecordRequests = false;
            using var client = Load.NewClient(concurrency * 2);
            client.BaseAddress = new Uri(h.BaseUrl);
            var tokens = Enumerable.Range(0, 256).Select(_ => supabase.MintAccessToken(Guid.NewGuid(), "user@example.test")).ToArray();
            HttpRequestMessage Health(long _) => new(HttpMethod.Get, "/api/health");
            HttpRequestMessage AuthUrl(long n)
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "/api/ringcentral/auth-url");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[n % tokens.Length]);
                return request;
            }

            await RateAsync(client, concurrency, TimeSpan.FromSeconds(2), Health);  // warm-up
            await RateAsync(client, concurrency, TimeSpan.FromSeconds(2), AuthUrl);
            var health = new List<double>();
            var authUrl = new List<double>();
            for (var round = 0; round < 2; round++)
            {
                health.Add(await RateAsync(client, concurrency, TimeSpan.FromSeconds(phaseSeconds), Health));
                authUrl.Add(await RateAsync(client, concurrency, TimeSpan.FromSeconds(phaseSeconds), AuthUrl));
                Say($"round {round + 1}: health {health[^1]:F0} req/s, auth-url {authUrl[^1]:F0} req/s");
            }

            // Sequential callbacks, each followed by a direct replay of the same upstream calls.
            var callbackUrl = h.BaseUrl + "/api/ringcentral/callback";
            using var replayClient = Load.NewClient(16);
            var replay = new UpstreamReplay(ringCentral, supabase, callbackUrl, replayClient);
            var latencies = new List<double>();
            var floor = new List<double>();
            for (var i = 0; i < callbacks + 20; i++)
            {
                var pair = await PairAsync(client, supabase, callbackUrl, i);
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(pair);
                var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.Query.Contains("status=success", StringComparison.Ordinal) != true)
                    throw new InvalidOperationException($"callback answered {response.StatusCode} {response.Headers.Location}");
                var direct = (await replay.RunOnceAsync()).TotalMilliseconds;
                if (i < 20) continue; // warm-up
                latencies.Add(took);
                floor.Add(direct);
            }

            var peakRss = StatusBytes(h.Worker.Id, "VmHWM:");
            var rss = StatusBytes(h.Worker.Id, "VmRSS:");
            var frontRss = StatusBytes(Environment.ProcessId, "VmHWM:");
            double p50 = Stats.Percentile([.. latencies], 50), p99 = Stats.Percentile([.. latencies], 99);
            double f50 = Stats.Percentile([.. floor], 50), f99 = Stats.Percentile([.. floor], 99);
            var startMedian = Stats.Median(startTimes);
            static string Mb(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MB";

            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"**{label}** under the Functions test host (worker: `dotnet RingCentralOAuthFunctions.dll` from {appDir}); same fakes, {delayMs} ms per upstream call, c={concurrency}.");
            md.AppendLine();
            md.AppendLine("| Measure | Measured | Compared with | Goal | Met |");
            md.AppendLine("|---|---|---|---|---|");
            md.AppendLine(CultureInfo.InvariantCulture, $"| Worker launch to first 200 from /api/health through the host (median of {startTimes.Count}; min {startTimes.Min():F2}, max {startTimes.Max():F2}) | {startMedian:F2} s | handshake done (all 5 functions loaded): median {Stats.Median(handshakeTimes):F2} s | <= 0.6 s | {(startMedian <= 0.6 ? "yes" : "**no**")} |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| GET /api/health throughput (2 x {phaseSeconds} s) | {health.Average():F0} req/s | per round {string.Join(" / ", health.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))} | | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| POST /api/ringcentral/auth-url throughput | {authUrl.Average():F0} req/s | health: {health.Average():F0} req/s, ratio {authUrl.Average() / health.Average():F2} | >= 0.5 of health | {(authUrl.Average() / health.Average() >= 0.5 ? "yes" : "**no**")} |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| GET callback latency p50 / p99 (c=1, n={latencies.Count}) | {p50:F1} / {p99:F1} ms | its upstream calls replayed directly: {f50:F1} / {f99:F1} ms (callback minus replay: {p50 - f50:F1} / {p99 - f99:F1} ms) | | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| Peak RSS of the worker (VmHWM, end of run) | {Mb(peakRss)} | at end {Mb(rss)}; the benchmark process (test host + fakes + load) peaked at {Mb(frontRss)} | fits 512 MB with the host | {(peakRss <= 200L * 1024 * 1024 ? "yes" : "**no**")} |");
            Console.WriteLine(md.ToString());
            if (report.Length > 0) await File.AppendAllTextAsync(report, "\n" + md);
            return 0;
        }
        finally
        {
            if (host is not null) await host.DisposeAsync();
        }
    }

    private static async Task<string> PairAsync(HttpClient client, FakeSupabase supabase, string callbackUrl, int i)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ringcentral/auth-url");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", supabase.MintAccessToken(Guid.NewGuid(), $"user{i}@example.test"));
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        using var authorize = await client.GetAsync(json.RootElement.GetProperty("authUrl").GetString());
        var location = authorize.Headers.Location?.ToString();
        if (location is null || !location.StartsWith(callbackUrl + "?", StringComparison.Ordinal)) throw new InvalidOperationException($"authorize answered {location}");
        return location;
    }

    /// <summary>Requests per second that <paramref name="concurrency"/> loops achieve in <paramref name="duration"/>; fails on any non-2xx.</summary>
    private static async Task<double> RateAsync(HttpClient client, int concurrency, TimeSpan duration, Func<long, HttpRequestMessage> make)
    {
        long done = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                var n = Interlocked.Increment(ref done);
                using var request = make(n);
                using var response = await client.SendAsync(request);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{request.RequestUri} answered {response.StatusCode}");
            }
        }));
        return done / clock.Elapsed.TotalSeconds;
    }

    private static long StatusBytes(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
