using System.Diagnostics;
using RingCentralOAuthFunctions.LocalHost;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Startup;

/// <summary>
/// The local host's start-up profile (multicore JIT, Program.cs): the service run as a person runs it, stopped as Ctrl+C
/// stops it, leaves the profile its next start replays, beside the app.
/// </summary>
public sealed class StartupProfileTests
{
    [Fact]
    public async Task A_graceful_stop_of_the_service_writes_its_startup_profile_beside_the_app()
    {
        var profile = Path.Combine(AppContext.BaseDirectory, LocalHostApp.StartupProfileFile);
        File.Delete(profile);
        var url = $"http://127.0.0.1:{FunctionsTestHost.FunctionsTestHost.FreePort()}";
        var workDir = Directory.CreateTempSubdirectory("startup-profile-"); // no local.settings.json there
        try
        {
            var start = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false, WorkingDirectory = workDir.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "RingCentralOAuthFunctions.LocalHost.dll"), "--urls", url })
                start.ArgumentList.Add(arg);
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.Contains("__", StringComparison.Ordinal)).ToList())
                start.Environment.Remove(name);

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var client = new HttpClient();
            HttpResponseMessage? answer = null;
            for (var i = 0; i < 600 && answer is null && !process.HasExited; i++)
            {
                try
                {
                    answer = await client.GetAsync(url + "/api/health"); // 503: no settings; any answer means started
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(50);
                }
            }

            Assert.NotNull(answer);
            answer.Dispose();
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await term.WaitForExitAsync();
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30))) await process.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(output, errors);

            Assert.Equal(0, process.ExitCode);
            // The runtime turns multicore JIT off on a machine with one core.
            if (Environment.ProcessorCount > 1) Assert.True(new FileInfo(profile) is { Exists: true, Length: > 0 }, "no start-up profile after a graceful stop");
        }
        finally
        {
            workDir.Delete(recursive: true);
            File.Delete(profile);
        }
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
