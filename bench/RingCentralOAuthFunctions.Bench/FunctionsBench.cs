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
/// worker launch to first 200 from /api/health through the host (with the steps between), health and auth-url
/// throughput, sequential connects (Callback next to health, Complete next to a direct replay of its upstream calls),
/// and the worker's peak RSS (VmHWM).
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
        var baselineDir = Arg("--baseline-app", ""); // an empty Functions app (bench/RingCentralOAuthFunctions.Bench.EmptyFunctions), started between the app's starts
        var delayMs = int.Parse(Arg("--delay-ms", "20"), CultureInfo.InvariantCulture);
        var starts = int.Parse(Arg("--starts", "15"), CultureInfo.InvariantCulture);
        var phaseSeconds = double.Parse(Arg("--phase-seconds", "3"), CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Arg("--concurrency", "16"), CultureInfo.InvariantCulture);
        var callbacks = int.Parse(Arg("--callbacks", "200"), CultureInfo.InvariantCulture); // as many as the local host's, so both p99 rest on the same count
        var report = Arg("--report", "");
        var startupOnly = args.Contains("--startup-only"); // only the starts and their timeline (for A/B runs of start-up knobs)
        // --worker-env NAME=VALUE (repeatable): a runtime knob or setting for the worker, e.g. DOTNET_TieredPGO=0.
        var workerEnv = args.Select((a, i) => (a, i)).Where(x => x.a == "--worker-env" && x.i + 1 < args.Length)
            .Select(x => args[x.i + 1].Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        void Say(string text) => Console.Error.WriteLine($"[functions bench] {text}");

        await using var ringCentral = await FakeRingCentral.StartNewAsync();
        await using var supabase = await FakeSupabase.StartNewAsync();
        var stateKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Dictionary<string, string?> Settings(int port)
        {
            var settings = BaseSettings(port);
            foreach (var (name, value) in workerEnv) settings[name] = value;
            return settings;
        }

        Dictionary<string, string?> BaseSettings(int port) => new()
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
        var startTimes = new List<double>();   // worker launch to first 200 (the goal's figure)
        var handshakeTimes = new List<double>(); // worker launch to all functions loaded
        var setupTimes = new List<double>();     // test host's own gRPC server and front built, before the launch
        var frontTimes = new List<double>();     // loaded to the test host's front listening
        var cpuAtLoaded = new List<double>();    // the worker's CPU time when all functions were loaded
        var cpuAtFirst = new List<double>();     // and after its first request
        string[] steps = ["StartStream", "WorkerInitResponse", "FunctionMetadataResponse", "FunctionLoadResponse", "InvocationResponse"];
        var timeline = steps.ToDictionary(x => x, _ => new List<double>()); // ms from launch to the first such message from the worker
        var baselineTimes = new List<double>();  // the empty Functions app: launch to first 200
        var baselineLoaded = new List<double>();
        var baselineCpu = new List<double>();
        FunctionsTestHost.FunctionsTestHost? host = null;
        var loadAtStart = MachineCpu.LoadAverage();
        // Over the starts, "host" is the CPU of every worker started (those stopped, and the current one).
        var stoppedWorkersCpu = 0.0;
        var startsCpu = new CpuWindow(() => TimeSpan.FromSeconds(stoppedWorkersCpu + (host is null || host.Worker.HasExited ? 0 : CpuSeconds(host.Worker.Id))));
        try
        {
            for (var i = 0; i < starts; i++)
            {
                if (baselineDir.Length > 0)
                {
                    var basePort = FunctionsTestHost.FunctionsTestHost.FreePort();
                    var baseClock = Stopwatch.StartNew();
                    var baseLaunched = TimeSpan.Zero;
                    await using var baseline = await FunctionsTestHost.FunctionsTestHost.StartAsync(new FunctionsTestHostOptions
                    {
                        AppDirectory = Path.GetFullPath(baselineDir), Settings = BaseSettings(basePort), HttpPort = basePort,
                        OnWorkerLaunched = _ => baseLaunched = baseClock.Elapsed,
                    });
                    using var baseFirst = await poller.GetAsync(baseline.BaseUrl + "/api/health");
                    if (baseFirst.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"empty app's health answered {baseFirst.StatusCode}");
                    baselineTimes.Add((baseClock.Elapsed - baseLaunched).TotalSeconds);
                    baselineLoaded.Add(baseline.StartupTime.TotalSeconds);
                    baselineCpu.Add(CpuSeconds(baseline.Worker.Id));
                    stoppedWorkersCpu += baselineCpu[^1];
                    Say($"empty Functions app: first 200 after {baselineTimes[^1] * 1000:F0} ms from launch (functions loaded {baselineLoaded[^1] * 1000:F0} ms, worker CPU {baselineCpu[^1] * 1000:F0} ms)");
                }

                if (host is not null)
                {
                    stoppedWorkersCpu += CpuSeconds(host.Worker.Id);
                    await host.DisposeAsync();
                    host = null;
                }

                var port = FunctionsTestHost.FunctionsTestHost.FreePort();
                var clock = Stopwatch.StartNew();
                var launched = TimeSpan.Zero;
                long launchedAt = 0;
                host = await FunctionsTestHost.FunctionsTestHost.StartAsync(new FunctionsTestHostOptions
                {
                    AppDirectory = appDir, Settings = Settings(port), HttpPort = port, OnWorkerLaunched = _ =>
                    {
                        launched = clock.Elapsed;
                        launchedAt = Stopwatch.GetTimestamp();
                    },
                });
                var listening = clock.Elapsed;
                var loadedCpu = CpuSeconds(host.Worker.Id);
                using var first = await poller.GetAsync(host.BaseUrl + "/api/health");
                if (first.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"health answered {first.StatusCode}: {host.Describe()}");
                var done = clock.Elapsed;
                startTimes.Add((done - launched).TotalSeconds);
                handshakeTimes.Add(host.StartupTime.TotalSeconds);
                setupTimes.Add(launched.TotalSeconds);
                frontTimes.Add((listening - launched).TotalSeconds - host.StartupTime.TotalSeconds);
                cpuAtLoaded.Add(loadedCpu);
                cpuAtFirst.Add(CpuSeconds(host.Worker.Id));
                foreach (var step in steps)
                    if (host.Channel.FirstSeen.TryGetValue(step, out var at)) timeline[step].Add(Stopwatch.GetElapsedTime(launchedAt, at).TotalMilliseconds);
                Say($"start {i + 1}/{starts}: test host set up in {setupTimes[^1] * 1000:F0} ms; worker launch to functions loaded {handshakeTimes[^1] * 1000:F0} ms " +
                    $"(worker CPU {cpuAtLoaded[^1] * 1000:F0} ms), front up +{frontTimes[^1] * 1000:F0} ms, first 200 after {startTimes[^1] * 1000:F0} ms from launch (worker CPU {cpuAtFirst[^1] * 1000:F0} ms)");
            }

            var startShares = startsCpu.Stop();
            var h = host!;
            TimeSpan WorkerCpu() => TimeSpan.FromSeconds(CpuSeconds(h.Worker.Id));
            if (startupOnly)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{label}{(workerEnv.Count > 0 ? " [" + string.Join(' ', workerEnv.Select(e => e.Key + "=" + e.Value)) + "]" : "")}: launch to first 200 median {Stats.Median(startTimes):F2} s (min {startTimes.Min():F2}){(baselineTimes.Count > 0 ? $" [empty Functions app {Stats.Median(baselineTimes):F2} s, CPU {Stats.Median(baselineCpu):F2} s; ratio {Stats.Median(startTimes) / Stats.Median(baselineTimes):F2} (goal <= 1.1), CPU ratio {Stats.Median(cpuAtFirst) / Stats.Median(baselineCpu):F2}]" : "")}; functions loaded {Stats.Median(handshakeTimes):F2} s; worker CPU at loaded {Stats.Median(cpuAtLoaded):F2} s, at first 200 {Stats.Median(cpuAtFirst):F2} s; ")
                    + string.Join("; ", steps.Where(x => timeline[x].Count > 0).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x} {Stats.Median(timeline[x]):F0}"))) + " ms");
                return 0;
            }

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

            var throughputCpu = new CpuWindow(WorkerCpu);
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

            var throughputShares = throughputCpu.Stop();
            var connectsCpu = new CpuWindow(WorkerCpu);
            // Sequential connects (c=1), as for the local host: Callback (state check + ticket seal), one GET /api/health
            // (its reference: no upstream call), Complete with the ticket (the connect's upstream work), and a direct
            // replay of Complete's upstream calls (its reference). 20 warm-up connects first.
            var callbackUrl = h.BaseUrl + "/api/ringcentral/callback";
            using var replayClient = Load.NewClient(16);
            var replay = new UpstreamReplay(ringCentral, supabase, callbackUrl, replayClient);
            var callbackMs = new List<double>();
            var healthMs = new List<double>();
            var completeMs = new List<double>();
            var floor = new List<double>();
            for (var i = 0; i < callbacks + 20; i++)
            {
                var pair = await ConnectPair.MakeAsync(client, supabase, callbackUrl, i);
                var started = Stopwatch.GetTimestamp();
                using (var callback = await client.GetAsync(pair.CallbackUrl))
                {
                    var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    pair.Ticket = ConnectPair.TicketOf(callback) ?? throw new InvalidOperationException($"callback answered {callback.StatusCode} without a ticket");
                    if (i >= 20) callbackMs.Add(took);
                }

                started = Stopwatch.GetTimestamp();
                using (var probe = await client.GetAsync("/api/health"))
                {
                    var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    probe.EnsureSuccessStatusCode();
                    if (i >= 20) healthMs.Add(took);
                }

                using (var request = pair.CompleteRequest())
                {
                    started = Stopwatch.GetTimestamp();
                    using var complete = await client.SendAsync(request);
                    var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (!ConnectPair.Connected(complete)) throw new InvalidOperationException($"Complete answered {complete.StatusCode}");
                    if (i >= 20) completeMs.Add(took);
                }

                var direct = (await replay.RunOnceAsync()).TotalMilliseconds;
                if (i >= 20) floor.Add(direct);
            }

            var connectsShares = connectsCpu.Stop();
            var peakRss = StatusBytes(h.Worker.Id, "VmHWM:");
            var rss = StatusBytes(h.Worker.Id, "VmRSS:");
            var frontRss = StatusBytes(Environment.ProcessId, "VmHWM:");
            double p50 = Stats.Percentile([.. completeMs], 50), p99 = Stats.Percentile([.. completeMs], 99);
            double f50 = Stats.Percentile([.. floor], 50), f99 = Stats.Percentile([.. floor], 99);
            double c50 = Stats.Percentile([.. callbackMs], 50), c99 = Stats.Percentile([.. callbackMs], 99);
            double h50 = Stats.Percentile([.. healthMs], 50), h99 = Stats.Percentile([.. healthMs], 99);
            var startMedian = Stats.Median(startTimes);
            static string Mb(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MB";

            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"**{label}** under the Functions test host (worker: `dotnet RingCentralOAuthFunctions.dll` from {appDir}); same fakes, {delayMs} ms per upstream call, c={concurrency}.");
            md.AppendLine();
            md.AppendLine("| Measure | Measured | Compared with | Goal | Met |");
            md.AppendLine("|---|---|---|---|---|");
            md.AppendLine(CultureInfo.InvariantCulture, $"| Worker launch to first 200 from /api/health through the host (median of {startTimes.Count}; min {startTimes.Min():F2}, max {startTimes.Max():F2}) | {startMedian:F2} s | launch to all {h.Channel.Functions.Count} functions loaded: {Stats.Median(handshakeTimes):F2} s (worker CPU {Stats.Median(cpuAtLoaded):F2} s); then the test host's front: +{Stats.Median(frontTimes) * 1000:F0} ms; worker CPU at the first 200: {Stats.Median(cpuAtFirst):F2} s; before the launch, the test host's own set-up: {Stats.Median(setupTimes):F2} s (not counted){(baselineTimes.Count > 0 ? $"; **empty Functions app** (one HTTP function, no app code), interleaved: {Stats.Median(baselineTimes):F2} s to first 200 (loaded {Stats.Median(baselineLoaded):F2} s, worker CPU {Stats.Median(baselineCpu):F2} s)" : "")} | <= 1.1 x empty Functions app{(baselineTimes.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" (ratio {startMedian / Stats.Median(baselineTimes):F2})") : "")} | {(baselineTimes.Count == 0 ? "" : startMedian <= 1.1 * Stats.Median(baselineTimes) ? "yes" : "**no**")} |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| GET /api/health throughput (2 x {phaseSeconds} s) | {health.Average():F0} req/s | per round {string.Join(" / ", health.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))} | | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| POST /api/ringcentral/auth-url throughput | {authUrl.Average():F0} req/s | health: {health.Average():F0} req/s, ratio {authUrl.Average() / health.Average():F2} | >= 0.5 of health | {(authUrl.Average() / health.Average() >= 0.5 ? "yes" : "**no**")} |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| GET callback latency p50 / p99 (c=1, n={callbackMs.Count}; state check + ticket seal, no upstream call) | {c50:F2} / {c99:F2} ms | GET /api/health, interleaved: {h50:F2} / {h99:F2} ms (callback minus health: {c50 - h50:F2} / {c99 - h99:F2} ms) | | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| POST Complete latency p50 / p99 (c=1, n={completeMs.Count}; the connect's upstream work) | {p50:F1} / {p99:F1} ms | its upstream calls replayed directly, interleaved: {f50:F1} / {f99:F1} ms (Complete minus replay: {p50 - f50:F1} / {p99 - f99:F1} ms; {UpstreamReplay.Stages} x {delayMs} ms = {UpstreamReplay.Stages * delayMs} ms) | | |");
            md.AppendLine(CultureInfo.InvariantCulture, $"| Peak RSS of the worker (VmHWM, end of run) | {Mb(peakRss)} | at end {Mb(rss)}; the benchmark process (test host + fakes + load) peaked at {Mb(frontRss)} | fits 512 MB with the host | {(peakRss <= 200L * 1024 * 1024 ? "yes" : "**no**")} |");
            md.AppendLine();
            var disturbed = new[] { startShares, throughputShares, connectsShares }.Max(x => x.Others + x.Steal);
            if (disturbed > 0.25)
                md.AppendLine(CultureInfo.InvariantCulture, $"**Other processes took up to {disturbed:F2} of the 2 cores during a phase: figures are disturbed.**").AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"CPU (average cores in use; 2 exist; \"host\" is the worker): starts: {startShares}; throughput phases: {throughputShares}; sequential connects: {connectsShares}. Load average when the run began: {loadAtStart}.");
            md.AppendLine();
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Start-up timeline (median of {startTimes.Count} starts, ms from the worker's launch to the first message of each kind from it): ")
                + string.Join("; ", steps.Where(x => timeline[x].Count > 0).Select(x => string.Create(CultureInfo.InvariantCulture, $"{(x == "FunctionLoadResponse" ? "last FunctionLoadResponse" : x == "InvocationResponse" ? "first InvocationResponse (the first request)" : x)} {Stats.Median(timeline[x]):F0}")))
                + string.Create(CultureInfo.InvariantCulture, $"; first 200 at the client {Stats.Median(startTimes) * 1000:F0}."));
            Console.WriteLine(md.ToString());
            if (report.Length > 0) await File.AppendAllTextAsync(report, "\n" + md);
            return 0;
        }
        finally
        {
            if (host is not null) await host.DisposeAsync();
        }
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

    /// <summary>User + system CPU time of a process, from /proc/PID/stat.</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static long StatusBytes(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
