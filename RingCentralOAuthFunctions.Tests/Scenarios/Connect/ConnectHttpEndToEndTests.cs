using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Connect;

/// <summary>The popup flow through real HTTP: auth-url, RingCentral's authorize page, Callback, Complete, both rows.</summary>
public sealed class ConnectHttpEndToEndTests
{
    [Fact]
    public async Task Full_flow_stores_both_rows_and_redirects_with_success()
    {
        await using var host = await ServiceHost.StartAsync();
        var userId = Guid.NewGuid();

        var outcome = await host.ConnectAsync(userId, "jane@rebar.test");

        Assert.Equal("success", outcome.Status);
        Assert.Equal("ringcentral", outcome.Query["integration"]);
        Assert.False(outcome.Query.ContainsKey("email")); // the callback no longer knows the label; Complete answers it
        Assert.Equal(HttpStatusCode.OK, outcome.Complete!.StatusCode);
        Assert.Equal("connected", outcome.Complete.Body.GetProperty("status").GetString());
        Assert.Equal("jane@rebar.test", outcome.Email);
        var issued = Assert.Single(host.RingCentral.Issued);

        var tokens = host.Supabase.Row(FakeSupabase.TokensTable, userId)!;
        Assert.Equal(issued.RefreshToken, (string?)tokens["refresh_token"]);
        Assert.Equal(issued.AccessToken, (string?)tokens["access_token"]);
        Assert.Equal("jane@rebar.test", (string?)tokens["rc_email"]);
        Assert.Null(tokens["code_verifier"]);
        var expiresAt = DateTimeOffset.Parse((string)tokens["token_expires_at"]!);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(58), TimeSpan.FromMinutes(61));

        var connection = host.Supabase.Row(FakeSupabase.ConnectionsTable, userId)!;
        Assert.Equal("ringcentral", (string?)connection["integration_id"]);
        Assert.Equal("connected", (string?)connection["status"]);
        Assert.Null(connection["error_message"]);
        Assert.Equal("jane@rebar.test", (string?)connection["config"]!["rc_email"]);
        Assert.Equal(43, ((string?)connection["config"]!["flow"])!.Length); // a hash naming the flow, for replays
        Assert.NotNull(connection["last_sync_at"]);
        Assert.NotNull(connection["last_checked_at"]);
    }

    [Fact]
    public async Task Authorize_url_carries_pkce_redirect_uri_client_id_and_login_hint()
    {
        await using var host = await ServiceHost.StartAsync();
        var authUrl = new Uri(await host.GetAuthUrlAsync(Guid.NewGuid(), "jane@rebar.test"));
        var query = QueryHelpers.ParseQuery(authUrl.Query);

        Assert.Equal(host.RingCentral.Url + "/restapi/oauth/authorize", authUrl.GetLeftPart(UriPartial.Path));
        Assert.Equal("code", query["response_type"]);
        Assert.Equal(FakeRingCentral.ClientId, query["client_id"]);
        Assert.Equal(host.CallbackUrl, query["redirect_uri"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.Equal("jane@rebar.test", query["login_hint"]);
        Assert.False(string.IsNullOrEmpty(query["state"]));
    }

    [Fact]
    public async Task Auth_url_writes_nothing_to_supabase()
    {
        await using var host = await ServiceHost.StartAsync();
        await host.GetAuthUrlAsync(Guid.NewGuid());
        Assert.DoesNotContain(host.Supabase.Requests, r => r.Path.StartsWith("/rest/v1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_makes_exactly_four_upstream_calls_claim_exchange_label_save_and_no_reads()
    {
        await using var host = await ServiceHost.StartAsync();
        var userId = Guid.NewGuid();
        var callback = await host.CallbackAsync(await host.AuthorizeAsync(await host.GetAuthUrlAsync(userId, "jane@rebar.test")));
        var (supabaseBefore, ringCentralBefore) = (host.Supabase.Requests.Count, host.RingCentral.Requests.Count);

        Assert.Equal(HttpStatusCode.OK, (await host.CompleteAsync(userId, callback.Ticket)).StatusCode);

        var supabase = host.Supabase.Requests.Skip(supabaseBefore).Where(r => r.Path.StartsWith("/rest/v1/", StringComparison.Ordinal)).ToList();
        var ringCentral = host.RingCentral.Requests.Skip(ringCentralBefore).ToList();
        Assert.Equal(["/rest/v1/rpc/ringcentral_oauth_claim", "/rest/v1/rpc/ringcentral_oauth_save"], supabase.Select(r => r.Path));
        Assert.Equal(["POST /restapi/oauth/token", "GET /restapi/v1.0/account/~/extension/~"], ringCentral.Select(r => $"{r.Method} {r.Path}"));
        foreach (var request in supabase)
        {
            Assert.Equal("POST", request.Method);
            Assert.Equal("", request.Query); // tokens travel in the body only: query strings reach Supabase's API logs
            Assert.Equal(FakeSupabase.LegacyServiceRoleKey, request.Header("apikey"));
            Assert.Equal("Bearer " + FakeSupabase.LegacyServiceRoleKey, request.Header("Authorization"));
            Assert.StartsWith("application/json", request.Header("Content-Type"));
        }

        var claim = JsonNode.Parse(supabase[0].Body)!.AsObject();
        Assert.Equal(["p_claim_id", "p_flow_marker", "p_max_claims", "p_user_id", "p_window_seconds"], claim.Select(p => p.Key).Order());
        Assert.Equal(userId.ToString(), (string?)claim["p_user_id"]);
        Assert.Equal(43, ((string?)claim["p_flow_marker"])!.Length); // the hash, never the flow id
        var save = JsonNode.Parse(supabase[1].Body)!.AsObject();
        Assert.Equal(["p_access_token", "p_claim_id", "p_flow_marker", "p_rc_email", "p_refresh_token", "p_token_expires_at", "p_user_id"],
            save.Select(p => p.Key).Order());
        Assert.Equal((string?)claim["p_claim_id"], (string?)save["p_claim_id"]);
        Assert.Equal(host.RingCentral.Issued.Single().RefreshToken, (string?)save["p_refresh_token"]);
    }

    [Fact]
    public async Task New_style_secret_key_is_sent_as_apikey_only()
    {
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.ServiceKey = FakeSupabase.NewSecretKey;
        await using var host = await ServiceHost.StartAsync(supabase: supabase);

        var outcome = await host.ConnectAsync(Guid.NewGuid());

        Assert.Equal("success", outcome.Status);
        Assert.All(host.Supabase.RequestsTo("POST", "/rest/v1/"), r =>
        {
            Assert.Equal(FakeSupabase.NewSecretKey, r.Header("apikey"));
            Assert.Null(r.Header("Authorization"));
        });
    }

    [Fact]
    public async Task Token_request_is_basic_auth_form_with_code_verifier_and_redirect_uri()
    {
        await using var host = await ServiceHost.StartAsync();
        await host.ConnectAsync(Guid.NewGuid());

        var token = Assert.Single(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        var form = QueryHelpers.ParseQuery(token.Body);
        Assert.Equal("authorization_code", form["grant_type"]);
        Assert.Equal(host.CallbackUrl, form["redirect_uri"]);
        Assert.Equal(43, form["code_verifier"].ToString().Length);
        Assert.False(form.ContainsKey("client_secret"));
        Assert.Equal("Basic " + Convert.ToBase64String("fake-client-id:fake-client-secret-value"u8.ToArray()), token.Header("Authorization"));
    }

    [Fact]
    public async Task Reconnecting_replaces_the_tokens_of_the_same_row()
    {
        await using var host = await ServiceHost.StartAsync();
        var userId = Guid.NewGuid();
        await host.ConnectAsync(userId);
        await host.ConnectAsync(userId);

        Assert.Equal(1, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(host.RingCentral.Issued.Last().RefreshToken, (string?)host.Supabase.Row(FakeSupabase.TokensTable, userId)!["refresh_token"]);
    }

    [Fact]
    public async Task Reconnecting_revokes_the_replaced_refresh_token_and_only_that()
    {
        await using var host = await ServiceHost.StartAsync();
        var userId = Guid.NewGuid();
        await host.ConnectAsync(userId);
        await host.ConnectAsync(userId);
        var (first, second) = (host.RingCentral.Issued.First(), host.RingCentral.Issued.Last());

        // Revocation runs after the redirect; wait for it (bounded).
        for (var i = 0; i < 100 && host.RingCentral.Revoked.IsEmpty; i++) await Task.Delay(50);

        Assert.Equal([first.RefreshToken], host.RingCentral.Revoked);
        Assert.DoesNotContain(second.RefreshToken, host.RingCentral.Revoked);
    }

    [Fact]
    public async Task A_token_response_without_refresh_token_fails_and_revokes_its_access_token()
    {
        await using var host = await ServiceHost.StartAsync();
        host.RingCentral.IssueRefreshTokens = false;

        var outcome = await host.ConnectAsync(Guid.NewGuid());

        Assert.Equal(CallbackMessages.Rejected, outcome.Message);
        Assert.Equal([host.RingCentral.Issued.Single().AccessToken], host.RingCentral.Revoked);
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
    }

    [Fact]
    public async Task User_cancel_redirects_with_fixed_message_and_calls_no_token_endpoint()
    {
        await using var host = await ServiceHost.StartAsync();
        host.RingCentral.AuthorizeError = "access_denied";

        var outcome = await host.ConnectAsync(Guid.NewGuid());

        Assert.Equal("error", outcome.Status);
        Assert.Equal(CallbackMessages.Cancelled, outcome.Message);
        Assert.DoesNotContain("denied access", outcome.Location, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
    }

    [Theory]
    [InlineData("?error=server_error&error_description=%3Cscript%3Ealert(1)%3C/script%3E", CallbackMessages.ProviderUnavailable)]
    [InlineData("?error=invalid_request&error_description=Visit+evil.example+now", CallbackMessages.Denied)]
    [InlineData("?error=%3Cb%3E&state=x", CallbackMessages.Denied)]
    [InlineData("?code=abc", CallbackMessages.InvalidState)]
    [InlineData("?code=abc&state=not-a-state", CallbackMessages.InvalidState)]
    [InlineData("", CallbackMessages.InvalidState)]
    public async Task Hostile_or_broken_callbacks_redirect_with_a_fixed_message(string query, string expected)
    {
        await using var host = await ServiceHost.StartAsync();
        var outcome = await host.CallbackAsync("/api/ringcentral/callback" + query);

        Assert.Equal("error", outcome.Status);
        Assert.Equal(expected, outcome.Message);
        Assert.DoesNotContain("script", outcome.Location, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("evil", outcome.Location, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
    }

    [Fact]
    public async Task Missing_code_with_a_valid_state_redirects_with_missing_code()
    {
        await using var host = await ServiceHost.StartAsync();
        var callback = await host.AuthorizeAsync(await host.GetAuthUrlAsync(Guid.NewGuid()));
        var state = QueryHelpers.ParseQuery(callback.Query)["state"];

        var outcome = await host.CallbackAsync($"/api/ringcentral/callback?state={Uri.EscapeDataString(state!)}");

        Assert.Equal(CallbackMessages.MissingCode, outcome.Message);
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
    }

    [Fact]
    public async Task State_from_another_deployment_key_is_refused()
    {
        await using var first = await ServiceHost.StartAsync();
        await using var second = await ServiceHost.StartAsync(ringCentral: null);
        var callback = await first.AuthorizeAsync(await first.GetAuthUrlAsync(Guid.NewGuid()));

        var outcome = await second.CallbackAsync("/api/ringcentral/callback" + callback.Query);

        Assert.Equal(CallbackMessages.InvalidState, outcome.Message);
        Assert.Empty(second.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
    }

    [Fact]
    public async Task Attacker_code_with_victim_state_fails_pkce_and_writes_nothing()
    {
        await using var host = await ServiceHost.StartAsync();
        // The attacker's own code, bound to the attacker's own PKCE challenge.
        var attacker = Guid.NewGuid();
        var attackerCallback = await host.AuthorizeAsync(await host.GetAuthUrlAsync(attacker));
        var attackerCode = QueryHelpers.ParseQuery(attackerCallback.Query)["code"];
        // The victim's state (as if leaked), spliced with the attacker's code.
        var victim = Guid.NewGuid();
        var victimCallback = await host.AuthorizeAsync(await host.GetAuthUrlAsync(victim));
        var victimState = QueryHelpers.ParseQuery(victimCallback.Query)["state"];

        var outcome = await host.CallbackAsync($"/api/ringcentral/callback?code={attackerCode}&state={Uri.EscapeDataString(victimState!)}");
        Assert.Equal("success", outcome.Status); // the callback only checks shapes; the ticket names the victim

        // The victim finishing it fails PKCE at RingCentral; the attacker cannot finish it at all.
        var victimComplete = await host.CompleteAsync(victim, outcome.Ticket);
        Assert.Equal(HttpStatusCode.BadRequest, victimComplete.StatusCode);
        Assert.Equal(CallbackMessages.Rejected, victimComplete.Error);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.CompleteAsync(attacker, outcome.Ticket)).StatusCode);
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, victim));
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, attacker));
        Assert.Empty(host.RingCentral.Issued);
    }

    [Fact]
    public async Task Callback_calls_nothing_upstream_writes_nothing_and_puts_the_ticket_only_in_the_fragment()
    {
        await using var host = await ServiceHost.StartAsync();
        var userId = Guid.NewGuid();
        var callbackUrl = await host.AuthorizeAsync(await host.GetAuthUrlAsync(userId, "jane@rebar.test"));
        var supabaseBefore = host.Supabase.Requests.Count;

        var outcome = await host.CallbackAsync(callbackUrl);

        Assert.Equal("success", outcome.Status);
        Assert.Equal(new Dictionary<string, string> { ["status"] = "success", ["integration"] = "ringcentral" }, outcome.Query);
        Assert.False(string.IsNullOrEmpty(outcome.Ticket));
        Assert.Equal(ServiceHost.AppRedirectUrl + "?status=success&integration=ringcentral#ticket=" + outcome.Ticket, outcome.Location);
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Equal(supabaseBefore, host.Supabase.Requests.Count);
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
    }

    [Fact]
    public async Task Callback_response_is_not_cacheable_and_sends_no_referrer()
    {
        await using var host = await ServiceHost.StartAsync();
        var callback = await host.AuthorizeAsync(await host.GetAuthUrlAsync(Guid.NewGuid()));
        using var response = await host.Client.GetAsync(callback);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task An_absurd_expires_in_from_ringcentral_is_stored_as_one_hour()
    {
        await using var host = await ServiceHost.StartAsync();
        var userId = Guid.NewGuid();
        host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(200,
            """{"access_token":"at-x","token_type":"bearer","expires_in":999999999,"refresh_token":"rt-x"}""", Times: 1));

        Assert.Equal("success", (await host.ConnectAsync(userId)).Status);

        var expiresAt = DateTimeOffset.Parse((string)host.Supabase.Row(FakeSupabase.TokensTable, userId)!["token_expires_at"]!);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(58), TimeSpan.FromMinutes(61));
    }
}
