using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>One socket of a process, as Linux lists it in <c>/proc/&lt;pid&gt;/net/{tcp,tcp6,udp,udp6}</c>.</summary>
public sealed record ProcessSocket(string Protocol, IPEndPoint Local, IPEndPoint Remote)
{
    /// <summary>True when the socket has a peer (connected or connecting) that is not a loopback address.</summary>
    public bool LeavesLoopback => !Remote.Address.Equals(IPAddress.Any) && !Remote.Address.Equals(IPAddress.IPv6Any)
        && !IPAddress.IsLoopback(Remote.Address.IsIPv4MappedToIPv6 ? Remote.Address.MapToIPv4() : Remote.Address);

    public override string ToString() => $"{Protocol} {Local} -> {Remote}";
}

/// <summary>
/// The sockets a process holds right now: its file descriptors that are sockets (<c>/proc/&lt;pid&gt;/fd</c>), looked
/// up by inode in the kernel's socket tables. Connecting sockets (SYN sent) are listed too, so an attempt to reach an
/// address that does not answer is seen while it lasts.
/// </summary>
public static class ProcessSockets
{
    public static IReadOnlyList<ProcessSocket> Of(int pid)
    {
        var inodes = new HashSet<string>();
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
            }
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            return []; // the process is gone, or a descriptor closed while listing
        }

        var sockets = new List<ProcessSocket>();
        foreach (var protocol in new[] { "tcp", "tcp6", "udp", "udp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines($"/proc/{pid}/net/{protocol}");
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
            {
                continue;
            }
            foreach (var line in lines.Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && inodes.Contains(fields[9]))
                    sockets.Add(new ProcessSocket(protocol, Endpoint(fields[1]), Endpoint(fields[2])));
            }
        }

        return sockets;
    }

    /// <summary>Parses the kernel's <c>ADDRESS:PORT</c> hex form (the address in host byte order, 32 bits at a time).</summary>
    internal static IPEndPoint Endpoint(string hex)
    {
        var parts = hex.Split(':');
        var raw = Convert.FromHexString(parts[0]);
        for (var word = 0; word < raw.Length; word += 4) Array.Reverse(raw, word, 4);
        return new IPEndPoint(new IPAddress(raw), int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    /// <summary>Samples <paramref name="pid"/>'s sockets every few milliseconds until cancelled; returns every distinct one seen.</summary>
    public static async Task<IReadOnlyCollection<ProcessSocket>> WatchAsync(int pid, CancellationToken stop)
    {
        var seen = new HashSet<ProcessSocket>();
        while (!stop.IsCancellationRequested)
        {
            foreach (var socket in Of(pid)) seen.Add(socket);
            try
            {
                await Task.Delay(5, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        foreach (var socket in Of(pid)) seen.Add(socket);
        return seen;
    }
}
