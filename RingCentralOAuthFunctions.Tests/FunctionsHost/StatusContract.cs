using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>Status's sync-staleness rule through the built Functions app under the Functions test host.</summary>
public sealed class StatusSyncOnFunctionsApp(FunctionsAppFixture fixture) : StatusSyncContract<FunctionsAppFixture>(fixture);

/// <summary>Status's sync-staleness rule through the local host.</summary>
public sealed class StatusSyncOnLocalHost(LocalHostFixture fixture) : StatusSyncContract<LocalHostFixture>(fixture);

/// <summary>Status with the shared JWT credential and a custom <c>RingCentral:SyncStaleAfter</c>, through the Functions app.</summary>
public sealed class SharedJwtStatusOnFunctionsApp(SharedJwtFunctionsAppFixture fixture) : SharedJwtStatusContract<SharedJwtFunctionsAppFixture>(fixture);

/// <summary>Status with the shared JWT credential and a custom <c>RingCentral:SyncStaleAfter</c>, through the local host.</summary>
public sealed class SharedJwtStatusOnLocalHost(SharedJwtLocalHostFixture fixture) : SharedJwtStatusContract<SharedJwtLocalHostFixture>(fixture);

/// <summary>A service that also starts fresh ones with other settings (for a test that needs its own in-memory state).</summary>
public interface IFreshServiceFixture : IServiceFixture
{
    Task<IServiceUnderTest> StartFreshAsync(IDictionary<string, string?> settings);
}

/// <summary>The shared-JWT settings the fixtures use: the fake's credential, and a six-hour staleness limit.</summary>
public static class SharedJwtSettings
{
    public const string StaleAfter = "06:00:00";

    public static Dictionary<string, string?> With(string jwt = FakeRingCentral.SharedJwt) => new()
    {
        ["RingCentral:SharedJwt"] = jwt,
        ["RingCentral:SharedJwtClientId"] = FakeRingCentral.JwtClientId,
        ["RingCentral:SharedJwtClientSecret"] = FakeRingCentral.JwtClientSecret,
        ["RingCentral:SyncStaleAfter"] = StaleAfter,
    };
}

/// <summary>
/// Both hosts pick a free port and bind it a moment later; on a machine busy with other test runs another process can
/// take it in between. Such a start is tried again (at most three times); any other failure is not.
/// </summary>
public static class PortClash
{
    public static async Task<T> RetryAsync<T>(Func<Task<T>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (Exception ex) when (attempt < 3 && AddressInUse(ex))
            {
            }
        }
    }

    private static bool AddressInUse(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is Microsoft.AspNetCore.Connections.AddressInUseException
                || ex is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
                return true;
        return false;
    }
}

public sealed class SharedJwtFunctionsAppFixture : IFreshServiceFixture, IAsyncLifetime
{
    private FunctionsAppHost? _host;
    public IServiceUnderTest Service => _host ?? throw new InvalidOperationException("not started");
    public async Task InitializeAsync() => _host = await PortClash.RetryAsync(() => FunctionsAppHost.StartAsync(SharedJwtSettings.With()));
    public async Task<IServiceUnderTest> StartFreshAsync(IDictionary<string, string?> settings) => await PortClash.RetryAsync(() => FunctionsAppHost.StartAsync(settings));
    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

public sealed class SharedJwtLocalHostFixture : IFreshServiceFixture, IAsyncLifetime
{
    private ServiceHost? _host;
    public IServiceUnderTest Service => _host ?? throw new InvalidOperationException("not started");
    public async Task InitializeAsync() => _host = await PortClash.RetryAsync(() => ServiceHost.StartAsync(SharedJwtSettings.With()));
    public async Task<IServiceUnderTest> StartFreshAsync(IDictionary<string, string?> settings) => await PortClash.RetryAsync(() => ServiceHost.StartAsync(settings));
    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <summary>Seeding the ERP tables as the connect, the sync job and the other ERP functions leave them, and calling Status.</summary>
public static class StatusRows
{
    public const string Route = "/api/ringcentral/status";

    public static async Task<(HttpStatusCode Status, string Body)> StatusAsync(this IServiceUnderTest service, Guid user, string? email = null)
    {
        using var response = await service.Client.SendAsync(ServiceFlows.Authorized(HttpMethod.Get, Route, service.Supabase.MintAccessToken(user, email)));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The answer's exact text (the service writes non-ASCII text such as an em dash unescaped).</summary>
    public static string Json(object body) => JsonSerializer.Serialize(body, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static void SeedTokens(this IServiceUnderTest service, Guid user, string rcEmail) =>
        service.Supabase.Seed(FakeSupabase.TokensTable, new JsonObject
        {
            ["user_id"] = user.ToString(), ["rc_email"] = rcEmail, ["refresh_token"] = "rc-rt-seeded-" + user.ToString("N"),
            ["access_token"] = "rc-at-seeded-" + user.ToString("N"), ["token_expires_at"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
        });

    /// <summary>A connection row with a foreign <c>config</c> key (<c>theme</c>) that every write must keep.</summary>
    public static void SeedConnection(this IServiceUnderTest service, Guid user, string rcEmail, string status, DateTimeOffset? lastSyncAt, string? errorMessage = null) =>
        service.Supabase.Seed(FakeSupabase.ConnectionsTable, new JsonObject
        {
            ["user_id"] = user.ToString(), ["integration_id"] = "ringcentral", ["status"] = status,
            ["last_sync_at"] = lastSyncAt?.ToString("O"), ["error_message"] = errorMessage, ["last_checked_at"] = null,
            ["config"] = new JsonObject { ["rc_email"] = rcEmail, ["theme"] = "dark" },
        });

    public static JsonObject Connection(this IServiceUnderTest service, Guid user) => service.Supabase.Row(FakeSupabase.ConnectionsTable, user)!;

    /// <summary>A write as the ERP's sync job makes it (PostgREST with the service key), straight to the fake.</summary>
    public static async Task SyncJobWritesAsync(this IServiceUnderTest service, Guid user, JsonObject changes)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"{service.Supabase.Url}/rest/v1/integration_connections?user_id=eq.{user}&integration_id=eq.ringcentral")
        {
            Content = new StringContent(changes.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", service.Supabase.ServiceKey);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public static void AssertCheckedJustNow(JsonObject row)
    {
        var checkedAt = DateTimeOffset.Parse((string)row["last_checked_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(checkedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }
}

/// <summary>
/// Status with a token row, as the edge function's <c>check-status</c> decides it (default 12 h limit, no shared JWT):
/// the answer, what is written back to the connection row (and what is kept), and a write that lands between Status's
/// read and its write. Each test has its own users.
/// </summary>
public abstract class StatusSyncContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IServiceFixture
{
    private IServiceUnderTest Service => fixture.Service;
    private const string TwelveHours = "Sync has not run in over 12 hours";

    private static (Guid User, string Email) NewUser()
    {
        var user = Guid.NewGuid();
        return (user, $"u{user:N}"[..12] + "@rebar.test");
    }

    [Fact]
    public async Task A_fresh_sync_is_connected_and_written_back_keeping_the_config_keys()
    {
        var (user, email) = NewUser();
        var lastSync = DateTimeOffset.UtcNow.AddHours(-11);
        Service.SeedTokens(user, email);
        Service.SeedConnection(user, email, "connected", lastSync);

        var answer = await Service.StatusAsync(user);

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "connected", email })), answer);
        var row = Service.Connection(user);
        Assert.Equal("connected", (string?)row["status"]);
        Assert.Null(row["error_message"]);
        Assert.Equal(lastSync.ToString("O"), (string?)row["last_sync_at"]);
        Assert.Equal("""{"rc_email":"EMAIL","theme":"dark"}""".Replace("EMAIL", email), row["config"]!.ToJsonString());
        StatusRows.AssertCheckedJustNow(row);
    }

    [Fact]
    public async Task A_stale_sync_is_an_error_saying_it_has_not_run_in_over_12_hours_and_the_row_says_so()
    {
        var (user, email) = NewUser();
        Service.SeedTokens(user, email);
        Service.SeedConnection(user, email, "connected", DateTimeOffset.UtcNow.AddHours(-12).AddMinutes(-1));

        var answer = await Service.StatusAsync(user);

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = TwelveHours, email })), answer);
        var row = Service.Connection(user);
        Assert.Equal("error", (string?)row["status"]);
        Assert.Equal(TwelveHours, (string?)row["error_message"]);
        Assert.Equal("dark", (string?)row["config"]!["theme"]);
        StatusRows.AssertCheckedJustNow(row);
    }

    [Fact]
    public async Task A_connection_row_without_last_sync_at_is_stale()
    {
        var (user, email) = NewUser();
        Service.SeedTokens(user, email);
        Service.SeedConnection(user, email, "connected", lastSyncAt: null);

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = TwelveHours, email })), await Service.StatusAsync(user));
        Assert.Equal("error", (string?)Service.Connection(user)["status"]);
    }

    [Fact]
    public async Task A_missing_connection_row_is_stale_and_is_created()
    {
        var (user, email) = NewUser();
        Service.SeedTokens(user, email);

        var answer = await Service.StatusAsync(user);

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = TwelveHours, email })), answer);
        var row = Service.Connection(user);
        Assert.Equal("ringcentral", (string?)row["integration_id"]);
        Assert.Equal("error", (string?)row["status"]);
        Assert.Equal(TwelveHours, (string?)row["error_message"]);
        Assert.Null(row["last_sync_at"]);
        Assert.Equal(email, (string?)row["config"]!["rc_email"]);
        StatusRows.AssertCheckedJustNow(row);
    }

    [Fact]
    public async Task A_row_the_sync_job_marked_error_answers_its_message_even_when_the_sync_is_fresh()
    {
        var (user, email) = NewUser();
        Service.SeedTokens(user, email);
        Service.SeedConnection(user, email, "error", DateTimeOffset.UtcNow.AddMinutes(-30), "Token expired — please reconnect");

        var answer = await Service.StatusAsync(user);

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = "Token expired — please reconnect", email })), answer);
        var row = Service.Connection(user);
        Assert.Equal("error", (string?)row["status"]);
        Assert.Equal("Token expired — please reconnect", (string?)row["error_message"]);
    }

    [Fact]
    public async Task A_sync_job_write_between_statuss_read_and_write_is_not_clobbered_and_status_answers_from_what_it_read()
    {
        var (user, email) = NewUser();
        Service.SeedTokens(user, email);
        Service.SeedConnection(user, email, "connected", DateTimeOffset.UtcNow.AddDays(-2));
        var hold = Service.Supabase.Hold("PATCH", FakeSupabase.ConnectionsTable, (query, _) => query.Contains(user.ToString(), StringComparison.Ordinal));

        var status = Service.StatusAsync(user);
        await hold.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        var syncedAt = DateTimeOffset.UtcNow.ToString("O");
        await Service.SyncJobWritesAsync(user, new JsonObject { ["status"] = "connected", ["error_message"] = null, ["last_sync_at"] = syncedAt });
        var afterSync = Service.Connection(user).ToJsonString();
        hold.Release();
        var answer = await status;

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = TwelveHours, email })), answer);
        Assert.Equal(afterSync, Service.Connection(user).ToJsonString());
        Assert.Contains("updated_at=eq.", hold.Query); // the write named the version it read
    }

    [Fact]
    public async Task A_connect_that_creates_the_connection_row_between_statuss_read_and_insert_is_not_clobbered()
    {
        var (user, email) = NewUser();
        Service.SeedTokens(user, email);
        var hold = Service.Supabase.Hold("POST", FakeSupabase.ConnectionsTable, (_, body) => body.Contains(user.ToString(), StringComparison.Ordinal));

        var status = Service.StatusAsync(user);
        await hold.Arrived.WaitAsync(TimeSpan.FromSeconds(30));
        Service.SeedConnection(user, email, "connected", DateTimeOffset.UtcNow);
        var connected = Service.Connection(user).ToJsonString();
        hold.Release();
        var answer = await status;

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = TwelveHours, email })), answer);
        Assert.Equal(connected, Service.Connection(user).ToJsonString());
    }

    [Fact]
    public async Task Without_the_shared_jwt_settings_a_user_without_a_token_row_is_not_connected_and_nothing_is_called_or_stored()
    {
        var (user, email) = NewUser();
        var ringCentralCalls = Service.RingCentral.Requests.Count;
        var authCalls = Service.Supabase.RequestsTo("GET", "/auth/v1/admin").Count();

        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await Service.StatusAsync(user, email));
        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await Service.StatusAsync(user));

        Assert.Equal(ringCentralCalls, Service.RingCentral.Requests.Count);
        Assert.Equal(authCalls, Service.Supabase.RequestsTo("GET", "/auth/v1/admin").Count());
        Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Null(Service.Supabase.Row(FakeSupabase.ConnectionsTable, user));
    }
}

/// <summary>
/// Status with the ERP's shared JWT credential configured (the fake's, with its own client) and
/// <c>RingCentral:SyncStaleAfter</c> = 6 h: a user without a token row whose email is the credential's extension's
/// (case ignored) is connected through it, once; anyone else is not_connected with nothing stored; RingCentral refusing
/// the JWT stores nothing and is logged once; no part of the credential reaches a log line or an answer.
/// </summary>
public abstract class SharedJwtStatusContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IFreshServiceFixture
{
    private IServiceUnderTest Service => fixture.Service;
    private const string JwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    private IEnumerable<RecordedRequest> JwtGrants(IServiceUnderTest service) =>
        service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Where(r => QueryHelpers.ParseQuery(r.Body)["grant_type"] == JwtGrant);

    [Fact]
    public async Task A_custom_sync_stale_after_moves_the_limit_and_the_message()
    {
        var (fresh, stale) = (Guid.NewGuid(), Guid.NewGuid());
        Service.SeedTokens(fresh, "fresh@rebar.test");
        Service.SeedConnection(fresh, "fresh@rebar.test", "connected", DateTimeOffset.UtcNow.AddHours(-5));
        Service.SeedTokens(stale, "stale@rebar.test");
        Service.SeedConnection(stale, "stale@rebar.test", "connected", DateTimeOffset.UtcNow.AddHours(-7));

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "connected", email = "fresh@rebar.test" })), await Service.StatusAsync(fresh));
        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "error", error = "Sync has not run in over 6 hours", email = "stale@rebar.test" })),
            await Service.StatusAsync(stale));
        Assert.Equal("Sync has not run in over 6 hours", (string?)Service.Connection(stale)["error_message"]);
    }

    [Fact]
    public async Task A_user_whose_email_matches_the_shared_extension_in_another_case_is_connected_through_it_once()
    {
        var user = Guid.NewGuid();
        var shared = Service.RingCentral.SharedJwtEmail;

        var answer = await Service.StatusAsync(user, shared.ToUpperInvariant());

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "connected", email = shared })), answer);
        var tokens = Service.Supabase.Row(FakeSupabase.TokensTable, user)!;
        Assert.Equal("jwt:" + FakeRingCentral.SharedJwt, (string?)tokens["refresh_token"]);
        Assert.Equal(shared, (string?)tokens["rc_email"]);
        Assert.Contains(Service.RingCentral.Issued, i => i.AccessToken == (string?)tokens["access_token"] && i.Email == shared);
        var expires = DateTimeOffset.Parse((string)tokens["token_expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(5), DateTimeOffset.UtcNow.AddHours(1).AddMinutes(1));
        Assert.Null(tokens["code_verifier"]);
        var connection = Service.Connection(user);
        Assert.Equal("connected", (string?)connection["status"]);
        Assert.NotNull(connection["last_sync_at"]);
        Assert.Equal(shared, (string?)connection["config"]!["rc_email"]);

        // The grant went to RingCentral with the JWT client's Basic credentials and the JWT as assertion.
        var grant = JwtGrants(Service).Last();
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.JwtClientId}:{FakeRingCentral.JwtClientSecret}")), grant.Header("Authorization"));
        Assert.Equal(FakeRingCentral.SharedJwt, QueryHelpers.ParseQuery(grant.Body)["assertion"]);

        // Later Status calls follow the rows as they stand: no new grant.
        var grants = JwtGrants(Service).Count();
        var tokenRow = Service.Supabase.Row(FakeSupabase.TokensTable, user)!.ToJsonString();
        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "connected", email = shared })), await Service.StatusAsync(user, shared));
        Assert.Equal(grants, JwtGrants(Service).Count());
        Assert.Equal(tokenRow, Service.Supabase.Row(FakeSupabase.TokensTable, user)!.ToJsonString());
    }

    [Fact]
    public async Task A_user_without_an_email_claim_is_matched_by_the_email_supabase_auth_holds()
    {
        var user = Guid.NewGuid();
        Service.Supabase.SetUser(user, Service.RingCentral.SharedJwtEmail);

        var answer = await Service.StatusAsync(user, email: null);

        Assert.Equal((HttpStatusCode.OK, StatusRows.Json(new { status = "connected", email = Service.RingCentral.SharedJwtEmail })), answer);
        var lookup = Assert.Single(Service.Supabase.RequestsTo("GET", $"/auth/v1/admin/users/{user}"));
        Assert.Equal(Service.Supabase.ServiceKey, lookup.Header("apikey"));
    }

    [Fact]
    public async Task A_user_whose_email_does_not_match_is_not_connected_and_nothing_is_stored()
    {
        var (user, other) = (Guid.NewGuid(), Guid.NewGuid());
        Service.Supabase.SetUser(other, "someone.else@rebar.test");

        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await Service.StatusAsync(user, "not.the.shared.line@rebar.test"));
        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await Service.StatusAsync(other));

        foreach (var who in new[] { user, other })
        {
            Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, who));
            Assert.Null(Service.Supabase.Row(FakeSupabase.ConnectionsTable, who));
        }
    }

    [Fact]
    public async Task RingCentral_refusing_the_jwt_is_not_connected_stores_nothing_and_is_logged_once()
    {
        await using var service = await fixture.StartFreshAsync(SharedJwtSettings.With(jwt: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXZva2VkIn0.revoked-jwt"));
        var user = Guid.NewGuid();
        var shared = service.RingCentral.SharedJwtEmail;

        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await service.StatusAsync(user, shared));
        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await service.StatusAsync(user, shared));

        Assert.Single(JwtGrants(service)); // the refusal is remembered for a while, not asked per request
        Assert.Null(service.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Null(service.Supabase.Row(FakeSupabase.ConnectionsTable, user));
        var lines = service.LogLines().Where(l => l.Contains("SharedJwtUnavailable", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.Contains("token_rejected", line);
        Assert.DoesNotContain("revoked-jwt", string.Join('\n', service.LogLines()));
    }

    [Fact]
    public async Task No_part_of_the_shared_credential_or_its_tokens_reaches_a_log_line_an_answer_or_health()
    {
        var (matching, other) = (Guid.NewGuid(), Guid.NewGuid());
        var answers = new List<string>
        {
            (await Service.StatusAsync(matching, Service.RingCentral.SharedJwtEmail)).Body,
            (await Service.StatusAsync(matching, Service.RingCentral.SharedJwtEmail)).Body,
            (await Service.StatusAsync(other, "other@rebar.test")).Body,
        };
        using (var health = await Service.Client.GetAsync("/api/health")) answers.Add(await health.Content.ReadAsStringAsync());
        answers.Add((await Service.Client.SendAsync(ServiceFlows.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", Service.Supabase.MintAccessToken(matching)))).StatusCode.ToString());
        Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, matching));

        var secrets = new List<string>
        {
            FakeRingCentral.SharedJwt, FakeRingCentral.JwtClientSecret,
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.JwtClientId}:{FakeRingCentral.JwtClientSecret}")),
        };
        secrets.AddRange(Service.RingCentral.Issued.SelectMany(i => new[] { i.AccessToken, i.RefreshToken }));
        var logs = string.Join('\n', Service.LogLines());
        Assert.Contains("SharedJwtConnected", logs); // the scan covers the shared-JWT path's own lines
        foreach (var secret in secrets)
        {
            foreach (var piece in Pieces(secret))
            {
                Assert.DoesNotContain(piece, logs, StringComparison.Ordinal);
                Assert.All(answers, a => Assert.DoesNotContain(piece, a, StringComparison.Ordinal));
            }
        }
    }

    /// <summary>The value and every 12-character piece of it (a truncated token is still a leak).</summary>
    private static IEnumerable<string> Pieces(string value)
    {
        yield return value;
        for (var i = 0; i + 12 <= value.Length; i += 6) yield return value.Substring(i, 12);
    }
}
