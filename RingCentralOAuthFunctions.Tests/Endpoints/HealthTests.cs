using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Endpoints;

public sealed class HealthTests
{
    [Fact]
    public async Task Configured_service_is_healthy()
    {
        await using var host = await ServiceHost.StartAsync();
        using var response = await host.Client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ok", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["Supabase JWKS"] = "ok", ["Supabase PostgREST"] = "ok", ["RingCentral"] = "ok" }, checks);
    }

    [Fact]
    public async Task Missing_and_malformed_settings_are_named_never_shown()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["RingCentral:ClientSecret"] = null,
            ["RingCentral:ClientId"] = "",
            ["OAuth:StateKey"] = "too-short-but-secret-looking-value",
            ["OAuth:CallbackUrl"] = "not a url",
        });

        using var response = await host.Client.GetAsync("/api/health");
        var text = await response.Content.ReadAsStringAsync();
        var problems = JsonDocument.Parse(text).RootElement.GetProperty("problems").EnumerateArray()
            .ToDictionary(p => p.GetProperty("setting").GetString()!, p => p.GetProperty("problem").GetString()!);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(["OAuth:CallbackUrl", "OAuth:StateKey", "RingCentral:ClientId", "RingCentral:ClientSecret"], problems.Keys.Order());
        Assert.Equal("missing", problems["RingCentral:ClientSecret"]);
        Assert.StartsWith("malformed", problems["OAuth:StateKey"]);
        Assert.DoesNotContain("too-short-but-secret-looking-value", text);
    }

    [Fact]
    public async Task Each_problem_is_one_log_line_at_start()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Supabase:ServiceRoleKey"] = null });
        await Task.Delay(200); // the start-up check runs in the background
        var line = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "SettingProblem");
        Assert.Contains("Supabase:ServiceRoleKey", line.Message);
    }

    [Fact]
    public async Task Unconfigured_service_answers_503_json_and_error_redirects_not_500()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["RingCentral:ClientSecret"] = null });
        using var authUrl = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", host.Supabase.MintAccessToken(Guid.NewGuid())));
        var callback = await host.CallbackAsync("/api/ringcentral/callback?code=c&state=s");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, authUrl.StatusCode);
        Assert.Contains("\"error\"", await authUrl.Content.ReadAsStringAsync());
        Assert.Equal(CallbackMessages.NotConfigured, callback.Message);
    }

    private static async Task<(HttpStatusCode Status, string Text, Dictionary<string, string> Problems)> HealthAsync(ServiceHost host)
    {
        using var response = await host.Client.GetAsync("/api/health");
        var text = await response.Content.ReadAsStringAsync();
        var root = JsonDocument.Parse(text).RootElement;
        var problems = root.TryGetProperty("problems", out var list)
            ? list.EnumerateArray().ToDictionary(p => p.GetProperty("setting").GetString()!, p => p.GetProperty("problem").GetString()!)
            : [];
        return (response.StatusCode, text, problems);
    }

    [Fact]
    public async Task A_service_key_postgrest_refuses_is_named_never_shown()
    {
        const string wrongKey = "sb_secret_wrong-key-that-must-not-show";
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Supabase:ServiceRoleKey"] = wrongKey });
        var (status, text, problems) = await HealthAsync(host);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("is refused by PostgREST (HTTP 401)", Assert.Single(problems, p => p.Key == "Supabase:ServiceRoleKey").Value);
        Assert.DoesNotContain(wrongKey, text);
        Assert.DoesNotContain(host.Supabase.Url, text);
    }

    [Fact]
    public async Task An_hs256_project_without_the_jwt_secret_is_reported_as_every_user_gets_401()
    {
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.Inject(FakeSupabase.JwksRoute, new Fault(200, """{"keys":[]}"""));
        await using var host = await ServiceHost.StartAsync(supabase: supabase);
        var (status, _, problems) = await HealthAsync(host);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("every user gets 401", problems["Supabase:JwtSecret"]);
    }

    [Fact]
    public async Task An_hs256_project_with_the_jwt_secret_is_healthy()
    {
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.Inject(FakeSupabase.JwksRoute, new Fault(200, """{"keys":[]}"""));
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Supabase:JwtSecret"] = "legacy-project-jwt-secret-with-at-least-32-bytes!" }, supabase: supabase);
        Assert.Equal(HttpStatusCode.OK, (await HealthAsync(host)).Status);
    }

    [Fact]
    public async Task An_unreachable_ringcentral_and_a_failing_jwks_are_named_with_how_they_fail()
    {
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.Inject(FakeSupabase.JwksRoute, new Fault(503));
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["RingCentral:ServerUrl"] = $"http://127.0.0.1:{ClosedPort()}" }, supabase: supabase);
        var (status, _, problems) = await HealthAsync(host);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("does not answer (connection refused)", problems["RingCentral:ServerUrl"]);
        Assert.Contains("HTTP 503", problems["Supabase:Url"]);
        var failing = host.Logs.GetSnapshot().Where(r => r.Id.Name == "DependencyFailing").ToList();
        Assert.Equal(2, failing.Count);
        Assert.All(failing, r => Assert.Null(r.Exception));
    }

    [Fact]
    public async Task A_health_probe_never_calls_the_upstreams_itself()
    {
        await using var host = await ServiceHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await HealthAsync(host)).Status); // starts the schedule; waits for the first round
        var supabaseCalls = host.Supabase.Requests.Count;
        var ringCentralCalls = host.RingCentral.Requests.Count;
        Assert.True(supabaseCalls >= 2 && ringCentralCalls >= 1, "the first round checked JWKS, PostgREST and RingCentral");

        for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.OK, (await HealthAsync(host)).Status);

        Assert.Equal(supabaseCalls, host.Supabase.Requests.Count);
        Assert.Equal(ringCentralCalls, host.RingCentral.Requests.Count);
    }

    [Fact]
    public async Task Dependencies_are_checked_again_on_the_schedule_and_a_recovery_is_seen()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.Inject(FakeSupabase.Route("GET", FakeSupabase.TokensTable), new Fault(500, FakeSupabase.ErrorBody("XX000", "down")));
        await using var host = await ServiceHost.StartAsync(supabase: supabase,
            configure: b => b.Services.AddSingleton<TimeProvider>(time));
        var (status, _, problems) = await HealthAsync(host);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("PostgREST answered HTTP 500", problems["Supabase:Url"]);

        supabase.ClearFaults();
        var checks = host.App.Services.GetRequiredService<RingCentralOAuthFunctions.Health.DependencyChecks>();
        var before = await checks.GetLatestAsync(default);
        time.Advance(RingCentralOAuthFunctions.Health.DependencyChecks.Interval);
        for (var i = 0; i < 200 && ReferenceEquals(before, await checks.GetLatestAsync(default)); i++) await Task.Delay(25);

        Assert.Equal(HttpStatusCode.OK, (await HealthAsync(host)).Status);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "DependencyRecovered");
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
