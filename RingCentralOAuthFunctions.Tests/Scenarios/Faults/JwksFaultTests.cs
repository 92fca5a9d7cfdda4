using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Supabase;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// Supabase's JWKS endpoint down: keys fetched earlier keep working past their cache lifetime; with no key ever
/// fetched, every authenticated route answers 503 JSON (never 401 or 500) and says why in one log line.
/// </summary>
public sealed class JwksFaultTests
{
    private static readonly string[] Routes = ["POST /api/ringcentral/auth-url", "GET /api/ringcentral/status", "POST /api/ringcentral/disconnect"];

    private static async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(ServiceHost host, string route, Guid user)
    {
        var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
        using var response = await host.Client.SendAsync(host.Authorized(new HttpMethod(method), path, host.Supabase.MintAccessToken(user)));
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static Task<ServiceHost> StartAsync(ShiftedClock clock) =>
        ServiceHost.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(clock));

    [Fact]
    public async Task Keys_fetched_earlier_keep_working_after_their_cache_lifetime_while_the_jwks_endpoint_is_down()
    {
        var clock = new ShiftedClock();
        await using var host = await StartAsync(clock);
        var user = Guid.NewGuid();
        await host.ConnectAsync(user, "jane@rebar.test");
        host.Supabase.Inject(FakeSupabase.JwksRoute, new Fault(503, "upstream unavailable", "text/plain"));
        var fetchesBefore = host.Supabase.RequestsTo("GET", SupabaseJwks.Path).Count();

        clock.Advance(SupabaseJwks.CacheLifetime + TimeSpan.FromMinutes(1));
        foreach (var route in Routes.Take(2))
            Assert.Equal(HttpStatusCode.OK, (await CallAsync(host, route, user)).Status);

        Assert.True(host.Supabase.RequestsTo("GET", SupabaseJwks.Path).Count() > fetchesBefore, "the expired cache was not refreshed");
        var line = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "JwksUnavailable");
        Assert.Contains("keeping the keys fetched earlier", line.Message);
    }

    [Theory]
    [InlineData(503, "upstream unavailable", "text/plain")]
    [InlineData(500, "<html>error</html>", "text/html")]
    [InlineData(404, """{"message":"no Route matched"}""", "application/json")]
    [InlineData(200, "<html>captive portal</html>", "text/html")]
    [InlineData(200, """{"keys":"not-a-list"}""", "application/json")]
    public async Task With_no_key_ever_fetched_a_jwks_outage_is_503_json_on_every_route_with_a_clear_log_line(int status, string body, string contentType)
    {
        var clock = new ShiftedClock();
        await using var host = await StartAsync(clock);
        host.Supabase.Inject(FakeSupabase.JwksRoute, new Fault(status, body, contentType));
        var user = Guid.NewGuid();

        foreach (var route in Routes)
        {
            var (answer, json) = await CallAsync(host, route, user);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer);
            Assert.Equal(ApiResponses.AuthUnavailable, json.GetProperty("error").GetString());
        }

        var lines = host.Logs.GetSnapshot().Where(r => r.Id.Name == "JwksUnavailable").ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Contains("no keys cached", l.Message));
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Id.Name == "UnexpectedError");
        Assert.Empty(host.Supabase.RequestsTo("DELETE", "/rest/v1/"));
    }

    [Fact]
    public async Task After_a_jwks_outage_the_service_recovers_without_a_restart()
    {
        var clock = new ShiftedClock();
        await using var host = await StartAsync(clock);
        host.Supabase.Inject(FakeSupabase.JwksRoute, new Fault(503, "", "text/plain"));
        var user = Guid.NewGuid();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CallAsync(host, Routes[1], user)).Status);

        host.Supabase.ClearFaults();
        clock.Advance(SupabaseJwks.FailedFetchBackoff + TimeSpan.FromSeconds(1));

        Assert.Equal(HttpStatusCode.OK, (await CallAsync(host, Routes[1], user)).Status);
    }
}

/// <summary>A hanging JWKS endpoint (about 5 s: the JWKS client's budget); its own class so it overlaps the other slow tests.</summary>
public sealed class JwksHangTests
{
    [Fact]
    public async Task A_hanging_jwks_endpoint_with_no_key_cached_is_503_json_within_the_bound()
    {
        await using var host = await ServiceHost.StartAsync();
        host.Supabase.Inject(FakeSupabase.JwksRoute, Fault.Hang);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await host.Client.SendAsync(host.Authorized(HttpMethod.Get, "/api/ringcentral/status", host.Supabase.MintAccessToken(Guid.NewGuid())));

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, ReconnectScenario.CallbackBound);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(ApiResponses.AuthUnavailable, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "JwksUnavailable");
    }
}
