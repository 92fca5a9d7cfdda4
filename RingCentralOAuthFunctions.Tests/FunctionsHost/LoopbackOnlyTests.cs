using System.Net;
using System.Net.Sockets;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>
/// Off Azure, with no APPLICATIONINSIGHTS_CONNECTION_STRING, the Functions worker talks only to loopback: to the
/// host's gRPC server, its own HTTP server and the fakes. Its sockets are watched from launch, through a whole
/// connect flow, status and disconnect, until a few seconds later.
/// </summary>
public sealed class LoopbackOnlyTests
{
    [Fact]
    public void The_socket_watch_sees_a_socket_to_a_non_loopback_address()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Connect(new IPEndPoint(IPAddress.Parse("192.0.2.55"), 9)); // TEST-NET-1: nothing is sent
        using var loopback = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        loopback.Connect(new IPEndPoint(IPAddress.Loopback, 9));

        var sockets = ProcessSockets.Of(Environment.ProcessId);

        Assert.Contains(sockets, s => s.LeavesLoopback && s.Remote.Equals(new IPEndPoint(IPAddress.Parse("192.0.2.55"), 9)));
        Assert.Contains(sockets, s => !s.LeavesLoopback && s.Remote.Equals(new IPEndPoint(IPAddress.Loopback, 9)));
    }

    [Fact]
    public async Task The_worker_opens_no_socket_to_a_non_loopback_address_from_launch_through_a_full_flow()
    {
        using var stop = new CancellationTokenSource();
        Task<IReadOnlyCollection<ProcessSocket>>? watch = null;
        await using var app = await FunctionsAppHost.StartAsync(onWorkerLaunched: worker => watch = ProcessSockets.WatchAsync(worker.Id, stop.Token));
        var user = Guid.NewGuid();

        Assert.Equal("success", (await app.ConnectAsync(user, "loop@rebar.test")).Status);
        using (var status = await app.Client.SendAsync(ServiceFlows.Authorized(HttpMethod.Get, "/api/ringcentral/status", app.Supabase.MintAccessToken(user))))
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        using (var disconnect = await app.Client.SendAsync(ServiceFlows.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", app.Supabase.MintAccessToken(user))))
            Assert.Equal(HttpStatusCode.OK, disconnect.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(3)); // background senders (heartbeat, live metrics, telemetry channel) start within this
        stop.Cancel();
        var sockets = await watch!;

        Assert.Contains(sockets, s => s.Remote.Port == app.Supabase.BaseUrl.Port); // the watch did see the worker's own connections
        Assert.True(!sockets.Any(s => s.LeavesLoopback), "non-loopback sockets: " + string.Join(", ", sockets.Where(s => s.LeavesLoopback)));
    }
}
