using System.Diagnostics;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>`perf record -g` on the host for the life of this object (only with --perf; needs the perf tool).</summary>
internal sealed class Perf : IDisposable
{
    private readonly Process _process;

    private Perf(Process process) => _process = process;

    public static Perf Record(int pid, string output)
    {
        var info = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "record", "-F", "499", "-g", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", output })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start perf");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        Thread.Sleep(200); // let perf attach before the phase starts
        return new Perf(process);
    }

    /// <summary>Removes the perf map a stopped host wrote (DOTNET_PerfMapEnabled); the last host's map is kept for `perf report`.</summary>
    public static void DeleteMap(int pid)
    {
        foreach (var name in new[] { $"perf-{pid}.map", $"perfinfo-{pid}.map" })
            File.Delete(Path.Combine("/tmp", name));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // SIGINT makes perf write its file and exit.
            using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill?.WaitForExit();
        }

        if (!_process.WaitForExit(10_000)) _process.Kill();
        _process.Dispose();
    }
}
