using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.StatusAndDisconnect;

/// <summary>Status and Disconnect, the two actions that let the edge function be switched off.</summary>
public sealed class StatusAndDisconnectTests : IAsyncLifetime
{
    private ServiceHost _host = null!;

    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(HttpMethod method, string route, Guid userId)
    {
        using var response = await _host.Client.SendAsync(_host.Authorized(method, route, _host.Supabase.MintAccessToken(userId)));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> StatusAsync(Guid userId) => CallAsync(HttpMethod.Get, "/api/ringcentral/status", userId);
    private Task<(HttpStatusCode Status, JsonElement Body)> DisconnectAsync(Guid userId) => CallAsync(HttpMethod.Post, "/api/ringcentral/disconnect", userId);

    [Fact]
    public async Task Status_without_a_token_row_is_not_connected()
    {
        var (status, body) = await StatusAsync(Guid.NewGuid());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"not_connected"}""", body.GetRawText());
    }

    [Fact]
    public async Task Status_after_connecting_is_connected_with_the_email()
    {
        var user = Guid.NewGuid();
        await _host.ConnectAsync(user, "jane@rebar.test");
        var (status, body) = await StatusAsync(user);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"status":"connected","email":"jane@rebar.test"}""", body.GetRawText());
    }

    [Fact]
    public async Task Status_reports_the_error_another_erp_function_recorded()
    {
        var user = Guid.NewGuid();
        await _host.ConnectAsync(user, "jane@rebar.test");
        // Another ERP function (e.g. sync) marks the connection as failing.
        await PatchConnectionAsync(user, new JsonObject { ["status"] = "error", ["error_message"] = "Refresh token expired" });

        var (_, body) = await StatusAsync(user);

        Assert.Equal("error", body.GetProperty("status").GetString());
        Assert.Equal("Refresh token expired", body.GetProperty("error").GetString());
        Assert.Equal("jane@rebar.test", body.GetProperty("email").GetString());
    }

    [Fact]
    public async Task Status_reads_no_tokens_calls_no_ringcentral_and_writes_back_the_resolved_status_and_last_checked_at()
    {
        var user = Guid.NewGuid();
        await _host.ConnectAsync(user);
        var before = (string?)_host.Supabase.Row(FakeSupabase.ConnectionsTable, user)!["last_checked_at"];
        var ringCentralCalls = _host.RingCentral.Requests.Count;
        await Task.Delay(20);

        await StatusAsync(user);

        Assert.Equal(ringCentralCalls, _host.RingCentral.Requests.Count);
        var tokenSelect = _host.Supabase.RequestsTo("GET", "/rest/v1/user_ringcentral_tokens").Last();
        Assert.Contains("select=rc_email,updated_at", Uri.UnescapeDataString(tokenSelect.Query));
        Assert.Contains($"user_id=eq.{user}", tokenSelect.Query);
        var patch = Assert.Single(_host.Supabase.RequestsTo("PATCH", "/rest/v1/integration_connections"));
        Assert.Contains($"user_id=eq.{user}", patch.Query);
        Assert.Contains("integration_id=eq.ringcentral", patch.Query);
        Assert.Contains("updated_at=eq.", patch.Query); // only onto the row as it was read
        // The resolved status written back, as the edge function does; config untouched (its rc_email is already right).
        Assert.Equal(["status", "error_message", "last_checked_at"], JsonNode.Parse(patch.Body)!.AsObject().Select(p => p.Key));
        Assert.Equal("connected", (string?)_host.Supabase.Row(FakeSupabase.ConnectionsTable, user)!["status"]);
        var after = (string?)_host.Supabase.Row(FakeSupabase.ConnectionsTable, user)!["last_checked_at"];
        Assert.True(DateTimeOffset.Parse(after!) > DateTimeOffset.Parse(before!));
    }

    [Fact]
    public async Task Disconnect_revokes_the_stored_refresh_token_and_deletes_exactly_the_callers_rows()
    {
        var user = Guid.NewGuid();
        var other = Guid.NewGuid();
        await _host.ConnectAsync(user);
        await _host.ConnectAsync(other);
        var refreshToken = (string)_host.Supabase.Row(FakeSupabase.TokensTable, user)!["refresh_token"]!;
        var otherRow = _host.Supabase.Row(FakeSupabase.TokensTable, other)!.ToJsonString();

        var (status, body) = await DisconnectAsync(user);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"success":true}""", body.GetRawText());
        Assert.Equal([refreshToken], _host.RingCentral.Revoked);
        var revoke = Assert.Single(_host.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke"));
        Assert.StartsWith("Basic ", revoke.Header("Authorization"));
        Assert.Null(_host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Null(_host.Supabase.Row(FakeSupabase.ConnectionsTable, user));
        Assert.Equal(otherRow, _host.Supabase.Row(FakeSupabase.TokensTable, other)!.ToJsonString());
        Assert.NotNull(_host.Supabase.Row(FakeSupabase.ConnectionsTable, other));

        // One database call deletes both rows (one transaction), named by the user id only; the revocation is then done, not owed.
        Assert.Empty(_host.Supabase.RequestsTo("DELETE", "/rest/v1/"));
        var call = Assert.Single(_host.Supabase.RequestsTo("POST", "/rest/v1/rpc/ringcentral_oauth_disconnect"));
        Assert.Equal($$"""{"p_user_id":"{{user}}"}""", call.Body);
        Assert.Equal("", call.Query);
        Assert.DoesNotContain(refreshToken, _host.Supabase.OwedRevocations());
    }

    [Fact]
    public async Task A_second_disconnect_succeeds_without_calling_ringcentral()
    {
        var user = Guid.NewGuid();
        await _host.ConnectAsync(user);
        Assert.Equal(HttpStatusCode.OK, (await DisconnectAsync(user)).Status);

        var (status, body) = await DisconnectAsync(user);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("success").GetBoolean());
        Assert.Single(_host.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke"));
        Assert.Equal("""{"status":"not_connected"}""", (await StatusAsync(user)).Body.GetRawText());
    }

    [Fact]
    public async Task A_failed_revoke_still_disconnects()
    {
        var user = Guid.NewGuid();
        await _host.ConnectAsync(user);
        _host.RingCentral.Inject(FakeRingCentral.RevokeRoute, new Fault(429, """{"errorCode":"CMN-301"}""", Headers: new Dictionary<string, string> { ["Retry-After"] = "60" }));

        var (status, _) = await DisconnectAsync(user);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(_host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Single(_host.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke")); // a 429 is not retried
        Assert.Contains(_host.Logs.GetSnapshot(), r => r.Id.Name == "RevokeFailed");
    }

    [Fact]
    public async Task Shared_jwt_credentials_are_not_revoked()
    {
        var user = Guid.NewGuid();
        _host.Supabase.Seed(FakeSupabase.TokensTable, new JsonObject
        {
            ["user_id"] = user.ToString(), ["rc_email"] = "shared@rebar.test", ["refresh_token"] = "jwt:shared-credentials",
        });

        Assert.Equal(HttpStatusCode.OK, (await DisconnectAsync(user)).Status);
        Assert.Empty(_host.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke"));
        Assert.Null(_host.Supabase.Row(FakeSupabase.TokensTable, user));
    }

    [Theory]
    [InlineData("GET", "/api/ringcentral/status")]
    [InlineData("POST", "/api/ringcentral/disconnect")]
    public async Task Status_and_disconnect_need_a_valid_token(string method, string route)
    {
        var user = Guid.NewGuid();
        await _host.ConnectAsync(user);
        using var anonymous = await _host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), route));
        var forged = _host.Supabase.MintAccessToken(user, customize: d => d.Issuer = "https://attacker.example/auth/v1");
        using var withForged = await _host.Client.SendAsync(_host.Authorized(new HttpMethod(method), route, forged));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withForged.StatusCode);
        Assert.NotNull(_host.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Empty(_host.RingCentral.Revoked);
    }

    [Fact]
    public async Task Disconnect_ignores_a_user_id_in_query_or_body()
    {
        var victim = Guid.NewGuid();
        var attacker = Guid.NewGuid();
        await _host.ConnectAsync(victim);
        using var request = _host.Authorized(HttpMethod.Post, $"/api/ringcentral/disconnect?user_id={victim}", _host.Supabase.MintAccessToken(attacker));
        request.Content = new StringContent($$"""{"action":"disconnect","userId":"{{victim}}","user_id":"{{victim}}"}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await _host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(_host.Supabase.Row(FakeSupabase.TokensTable, victim));
        Assert.Empty(_host.RingCentral.Revoked);
    }

    [Fact]
    public async Task Status_with_supabase_down_is_503_json_not_500()
    {
        _host.Supabase.Inject(FakeSupabase.Route("GET", FakeSupabase.TokensTable), new Fault(500, FakeSupabase.ErrorBody("XX000", "internal")));
        var (status, body) = await StatusAsync(Guid.NewGuid());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
    }

    private async Task PatchConnectionAsync(Guid user, JsonObject changes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"{_host.Supabase.Url}/rest/v1/integration_connections?user_id=eq.{user}&integration_id=eq.ringcentral")
        {
            Content = new StringContent(changes.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", _host.Supabase.ServiceKey);
        using var response = await _host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
