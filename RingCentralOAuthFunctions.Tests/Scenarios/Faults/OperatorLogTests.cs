using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>Issue 12 part 3: one readable line per failed upstream call, no stack traces per attempt, no "(null)".</summary>
public sealed class OperatorLogTests
{
    private const string JwtSecret = "legacy-project-jwt-secret-with-at-least-32-bytes!";

    [Fact]
    public async Task A_supabase_outage_is_one_line_saying_how_not_a_stack_trace_per_attempt()
    {
        // Supabase is down (nothing listens); the user's HS256 token is still checkable, so the request reaches PostgREST.
        var down = $"http://127.0.0.1:{ClosedPort()}";
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Supabase:Url"] = down, ["Supabase:JwtSecret"] = JwtSecret });
        var token = host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d =>
        {
            d.Issuer = down + "/auth/v1";
            d.SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JwtSecret)), SecurityAlgorithms.HmacSha256);
        });

        using var response = await host.Client.SendAsync(host.Authorized(HttpMethod.Get, "/api/ringcentral/status", token));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        var records = host.Logs.GetSnapshot();
        // Each call is tried 3 times (2 retries); the log has one line per call, not per attempt.
        var upstream = records.Where(r => r.Id.Name == "UpstreamCallFailed").Select(r => r.Message).ToList();
        Assert.Contains("Supabase PostgREST GET /rest/v1/user_ringcentral_tokens failed: connection refused", upstream);
        Assert.Equal(upstream.Count, upstream.Distinct().Count());
        Assert.All(upstream, m => Assert.EndsWith("failed: connection refused", m));
        Assert.DoesNotContain(records, r => r.Category?.StartsWith("Polly", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(records, r => r.Exception is not null);
        Assert.InRange(records.Count(r => r.Level >= LogLevel.Warning), 1, 2 * upstream.Count + 1);
        Assert.DoesNotContain(records, r => r.Message.Contains("(null)"));
    }

    [Fact]
    public async Task A_failed_connect_before_the_user_is_known_says_so_without_null()
    {
        // A state that does not open is a bad request (CallbackNoiseTests); a missing setting fails before any user is known.
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["RingCentral:ClientSecret"] = null });
        var outcome = await host.CallbackAsync("/api/ringcentral/callback?code=c&state=not-a-sealed-state");
        Assert.Equal("error", outcome.Status);

        var line = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectFailed");
        Assert.DoesNotContain("(null)", line.Message);
        Assert.Contains("for user unknown", line.Message);
        Assert.Contains("RingCentral error: none; HTTP status: none", line.Message);
    }

    [Fact]
    public async Task No_message_of_a_full_flow_with_failures_contains_null()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        Assert.Equal("success", (await host.ConnectAsync(user, "user@example.test")).Status);
        await host.CallbackAsync("/api/ringcentral/callback?error=access_denied&state=x");
        await host.CallbackAsync("/api/ringcentral/callback");
        using var status = await host.Client.SendAsync(host.Authorized(HttpMethod.Get, "/api/ringcentral/status", host.Supabase.MintAccessToken(user)));
        using var disconnect = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", host.Supabase.MintAccessToken(user)));

        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Message.Contains("(null)"));
    }

    public static TheoryData<string, string> Failures => new()
    {
        { "timeout", "timeout" },
        { "refused", "connection refused" },
        { "dns", "host not found" },
        { "status", "HTTP 503" },
        { "aggregate", "host not found after 2 attempts" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Upstream_failures_are_described_in_a_few_fixed_words(string kind, string expected)
    {
        static HttpRequestException Socket(SocketError error) => new("secret-bearing message", new SocketException((int)error));
        Exception failure = kind switch
        {
            "timeout" => new Polly.Timeout.TimeoutRejectedException("secret-bearing message"),
            "refused" => Socket(SocketError.ConnectionRefused),
            "dns" => Socket(SocketError.HostNotFound),
            "status" => new HttpRequestException("secret-bearing message", null, HttpStatusCode.ServiceUnavailable),
            _ => new AggregateException(new Azure.RequestFailedException("x", Socket(SocketError.HostNotFound)), new Azure.RequestFailedException("x", Socket(SocketError.HostNotFound))),
        };
        Assert.Equal(expected, UpstreamFailure.Describe(failure));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
