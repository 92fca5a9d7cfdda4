using System.Diagnostics;
using System.Globalization;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>Whole-machine CPU use from /proc/stat, to tell how much of the 2 cores other processes took during a phase.</summary>
internal readonly record struct MachineCpu(TimeSpan Busy, TimeSpan Steal, TimeSpan Total)
{
    public static MachineCpu Now()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal ... (steal: time the hypervisor gave this VM's CPUs to others)
        long busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6];
        long steal = fields.Length > 7 ? fields[7] : 0;
        long total = busy + steal + fields[3] + fields[4];
        return new MachineCpu(TimeSpan.FromSeconds(busy / 100.0), TimeSpan.FromSeconds(steal / 100.0), TimeSpan.FromSeconds(total / 100.0));
    }

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}

/// <summary>CPU used between two points: by the whole machine, the host (or worker), and this process (fakes + load generator).</summary>
internal sealed class CpuWindow(Func<TimeSpan> hostCpu)
{
    public CpuWindow(HostProcess host)
        : this(host.CpuTime)
    {
    }

    private readonly MachineCpu _machine = MachineCpu.Now();
    private readonly TimeSpan _host = hostCpu();
    private readonly TimeSpan _bench = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _start = Stopwatch.GetTimestamp();

    public CpuShares Stop()
    {
        var wall = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var machine = MachineCpu.Now();
        var busy = (machine.Busy - _machine.Busy).TotalSeconds;
        var steal = (machine.Steal - _machine.Steal).TotalSeconds;
        var hostSeconds = (hostCpu() - _host).TotalSeconds;
        var benchCpu = (Process.GetCurrentProcess().TotalProcessorTime - _bench).TotalSeconds;
        return new CpuShares(wall, busy / wall, hostSeconds / wall, benchCpu / wall, Math.Max(0, busy - hostSeconds - benchCpu) / wall, steal / wall);
    }
}

/// <summary>Average cores in use during a window: machine total, host, benchmark process, everything else.</summary>
internal sealed record CpuShares(double Seconds, double Machine, double Host, double Bench, double Others, double Steal)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"machine {Machine:F2} cores busy (host {Host:F2}, fakes + load generator {Bench:F2}, other processes {Others:F2}), steal {Steal:F2}");
}
