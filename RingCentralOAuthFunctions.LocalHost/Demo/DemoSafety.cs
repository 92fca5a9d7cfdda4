using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace RingCentralOAuthFunctions.LocalHost.Demo;

/// <summary>
/// What keeps demo mode a demo: it refuses to start where real upstream settings are present (a machine configured
/// for a real RingCentral app, Supabase project or Key Vault), and it listens on loopback only.
/// </summary>
public static class DemoSafety
{
    /// <summary>Settings that point at real upstreams. The demo replaces them with its stand-ins, so a real value means the wrong machine or the wrong command.</summary>
    public static readonly string[] UpstreamSettings = ["RingCentral:ServerUrl", "Supabase:Url", "KeyVault:Uri"];

    /// <summary>
    /// The names (never the values) of <see cref="UpstreamSettings"/> that hold a real, non-loopback value in any of
    /// <paramref name="sources"/>. Empty values and placeholders such as <c>https://&lt;project-ref&gt;.supabase.co</c> are not real.
    /// </summary>
    public static IReadOnlyList<string> RealUpstreamSettings(params IConfiguration[] sources) =>
        UpstreamSettings.Where(name => sources.Any(source => IsReal(source[name]))).ToList();

    /// <summary>True for an <c>http</c> URL whose host is a loopback address (127.0.0.0/8, ::1 or localhost) and whose port is given.</summary>
    public static bool IsLoopbackHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttp
        && IsLoopbackHost(uri.Host)
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0
        && !uri.IsDefaultPort;

    /// <summary>
    /// False when another socket already listens on the port of <paramref name="loopbackUrl"/> (a loopback http URL,
    /// see <see cref="IsLoopbackHttpUrl"/>): tried by binding it for a moment.
    /// </summary>
    public static bool PortIsFree(string loopbackUrl)
    {
        var uri = new Uri(loopbackUrl);
        var address = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : IPAddress.Loopback;
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, uri.Port));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }

    private static bool IsReal(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return false;
        if (value.Contains('<') && value.Contains('>')) return false; // a placeholder of local.settings.sample.json
        return !(Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && IsLoopbackHost(uri.Host));
    }

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>Demo mode would not be safe with these settings; the message names settings, never values.</summary>
public sealed class DemoRefusedException(string message) : Exception(message);
