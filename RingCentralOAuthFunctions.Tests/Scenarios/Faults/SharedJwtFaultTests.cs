using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Tests.Framework;
using RingCentralOAuthFunctions.Tests.FunctionsHost;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// The shared-JWT path of Status when things go wrong (local host, a clock moved on demand): a RingCentral outage is
/// logged once and asked again only after a while; one lookup serves many users; a connect that stores a token row
/// between Status's read and its insert wins; a failed Auth lookup or store answers without storing anything.
/// </summary>
public sealed class SharedJwtFaultTests
{
    private const string JwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    private static Task<ServiceHost> StartAsync(ShiftedClock? clock = null) =>
        ServiceHost.StartAsync(SharedJwtSettings.With(), configure: clock is null ? null : b => b.Services.AddSingleton<TimeProvider>(clock));

    private static int JwtGrants(ServiceHost host) =>
        host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count(r => QueryHelpers.ParseQuery(r.Body)["grant_type"] == JwtGrant);

    private static int Lines(ServiceHost host, string name) => host.Logs.GetSnapshot().Count(r => r.Id.Name == name);

    private const string NotConnected = """{"status":"not_connected"}""";

    [Fact]
    public async Task A_ringcentral_outage_is_logged_once_asked_again_only_after_a_while_and_its_end_is_logged_once()
    {
        var clock = new ShiftedClock();
        await using var host = await StartAsync(clock);
        var user = Guid.NewGuid();
        var shared = host.RingCentral.SharedJwtEmail;
        host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(503, """{"errorCode":"CMN-211"}"""));

        for (var i = 0; i < 3; i++) Assert.Equal((HttpStatusCode.OK, NotConnected), await host.StatusAsync(user, shared));
        Assert.Equal(1, JwtGrants(host)); // remembered, not asked per request
        clock.Advance(SharedJwtAccount.RetryAfterFailure + TimeSpan.FromSeconds(1));
        Assert.Equal((HttpStatusCode.OK, NotConnected), await host.StatusAsync(user, shared));

        Assert.Equal(2, JwtGrants(host));
        Assert.Equal(1, Lines(host, "SharedJwtUnavailable"));
        Assert.Contains("provider_unavailable", host.Logs.GetSnapshot().Single(r => r.Id.Name == "SharedJwtUnavailable").Message);
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Null(host.Supabase.Row(FakeSupabase.ConnectionsTable, user));

        host.RingCentral.ClearFaults();
        clock.Advance(SharedJwtAccount.RetryAfterFailure + TimeSpan.FromSeconds(1));
        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "connected", email = shared })), await host.StatusAsync(user, shared));
        Assert.Equal(1, Lines(host, "SharedJwtRecovered"));
        Assert.Equal(1, Lines(host, "SharedJwtUnavailable"));
    }

    [Fact]
    public async Task One_lookup_serves_many_users_until_it_expires()
    {
        var clock = new ShiftedClock();
        await using var host = await StartAsync(clock);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => host.StatusAsync(Guid.NewGuid(), $"user{i}@rebar.test")));
        Assert.Equal(1, JwtGrants(host));
        Assert.Single(host.RingCentral.RequestsTo("GET", "/restapi/v1.0/account/~/extension/~"));

        clock.Advance(SharedJwtAccount.CacheLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal((HttpStatusCode.OK, NotConnected), await host.StatusAsync(Guid.NewGuid(), "late@rebar.test"));
        Assert.Equal(2, JwtGrants(host));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
    }

    [Fact]
    public async Task A_connect_that_stores_a_token_row_between_statuss_read_and_its_insert_wins()
    {
        await using var host = await StartAsync();
        var user = Guid.NewGuid();
        var shared = host.RingCentral.SharedJwtEmail;
        var hold = host.Supabase.Hold("POST", FakeSupabase.TokensTable, (_, body) => body.Contains(user.ToString(), StringComparison.Ordinal));

        var status = host.StatusAsync(user, shared);
        await hold.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        host.SeedTokens(user, "own.account@rebar.test");
        var seeded = host.Supabase.Row(FakeSupabase.TokensTable, user)!.ToJsonString();
        hold.Release();
        var answer = await status;

        // Answered from the row the connect stored (no connection row yet: the staleness error), which is untouched.
        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = "Sync has not run in over 6 hours", email = "own.account@rebar.test" })), answer);
        Assert.Equal(seeded, host.Supabase.Row(FakeSupabase.TokensTable, user)!.ToJsonString());
        Assert.Equal(0, Lines(host, "SharedJwtConnected"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(404)]
    public async Task A_failed_auth_user_lookup_is_not_connected_without_any_ringcentral_call(int status)
    {
        await using var host = await StartAsync();
        var user = Guid.NewGuid();
        host.Supabase.SetUser(user, host.RingCentral.SharedJwtEmail);
        host.Supabase.Inject(FakeSupabase.AdminUserRoute, new Fault(status, """{"code":500,"msg":"boom"}"""));

        Assert.Equal((HttpStatusCode.OK, NotConnected), await host.StatusAsync(user, email: null));

        Assert.Empty(host.RingCentral.Requests);
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.True(Lines(host, "UserEmailLookupFailed") >= 1);
    }

    [Fact]
    public async Task A_store_refusing_the_token_row_is_503_and_leaves_no_connection_row()
    {
        await using var host = await StartAsync();
        var user = Guid.NewGuid();
        host.Supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.TokensTable), new Fault(500, FakeSupabase.ErrorBody("XX000", "internal")));

        var (status, body) = await host.StatusAsync(user, host.RingCentral.SharedJwtEmail);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("error", body);
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Null(host.Supabase.Row(FakeSupabase.ConnectionsTable, user));
    }

    [Fact]
    public async Task A_partial_shared_jwt_credential_leaves_the_service_up_calls_no_ringcentral_and_is_named_by_health()
    {
        var settings = SharedJwtSettings.With();
        settings["RingCentral:SharedJwtClientSecret"] = null;
        await using var host = await ServiceHost.StartAsync(settings);
        var user = Guid.NewGuid();

        Assert.Equal((HttpStatusCode.OK, NotConnected), await host.StatusAsync(user, host.RingCentral.SharedJwtEmail));
        Assert.Empty(host.RingCentral.Requests);
        using (var authUrl = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", host.Supabase.MintAccessToken(user))))
            Assert.Equal(HttpStatusCode.OK, authUrl.StatusCode);

        using var health = await host.Client.GetAsync("/api/health");
        var text = await health.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("RingCentral:SharedJwtClientSecret", text);
        Assert.DoesNotContain(FakeRingCentral.SharedJwt, text);
        Assert.DoesNotContain(FakeRingCentral.JwtClientId, text);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "FeatureSettingProblem");
    }

    [Theory]
    [InlineData(200, """{"id":101,"name":"shared.line@rebar.test"}""")] // a name that looks like the email is not the email
    [InlineData(401, """{"errorCode":"OAU-213"}""")]
    public async Task An_extension_without_a_contact_email_connects_no_one(int status, string body)
    {
        await using var host = await StartAsync();
        var user = Guid.NewGuid();
        host.RingCentral.Inject(FakeRingCentral.ExtensionRoute, new Fault(status, body));

        Assert.Equal((HttpStatusCode.OK, NotConnected), await host.StatusAsync(user, host.RingCentral.SharedJwtEmail));

        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Equal(1, Lines(host, "SharedJwtUnavailable"));
    }

    [Fact]
    public async Task A_leftover_connection_row_keeps_its_config_keys_when_the_shared_jwt_connects()
    {
        await using var host = await StartAsync();
        var user = Guid.NewGuid();
        var shared = host.RingCentral.SharedJwtEmail;
        host.SeedConnection(user, "old@rebar.test", "error", null, "Token expired — please reconnect");

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "connected", email = shared })), await host.StatusAsync(user, shared));

        var row = host.Connection(user);
        Assert.Equal("connected", (string?)row["status"]);
        Assert.Null(row["error_message"]);
        Assert.NotNull(row["last_sync_at"]);
        Assert.Equal(JsonNode.Parse($$"""{"rc_email":"{{shared}}","theme":"dark"}""")!.ToJsonString(), row["config"]!.ToJsonString());
    }
}
