using System.Net.Http.Json;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;
using RingCentralOAuthFunctions.Tests.PropertyBased;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>The end-to-end contract run through the built Functions app under the Functions test host (the primary target).</summary>
public sealed class EndToEndOnFunctionsApp(FunctionsAppFixture fixture) : EndToEndContract<FunctionsAppFixture>(fixture);

/// <summary>The same contract through the local host (for runs without the Functions app).</summary>
public sealed class EndToEndOnLocalHost(LocalHostFixture fixture) : EndToEndContract<LocalHostFixture>(fixture);

/// <summary>
/// What a browser, RingCentral and the ERP see over HTTP, whichever host serves the app: the connect flow stores
/// both rows, Status and Disconnect, Health, oversized requests refused before any handler acts, platform-style
/// CORS, and no credential or one-time value in anything the service logs. One service per class; each test uses
/// its own users, so tests do not see each other's rows.
/// </summary>
public abstract class EndToEndContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IServiceFixture
{
    private const string AllowedOrigin = "https://erp.example.test";
    private const string UpstreamMarker = "free-text-from-upstream-5b1e";
    private IServiceUnderTest Service => fixture.Service;

    private static string EmailOf(Guid user) => $"u{user:N}@rebar.test"[..20] + "@rebar.test";

    private async Task<(HttpStatusCode Status, string Body)> CallAsync(HttpMethod method, string path, Guid user)
    {
        using var response = await Service.Client.SendAsync(ServiceFlows.Authorized(method, path, Service.Supabase.MintAccessToken(user)));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_connect_flow_through_callback_and_complete_stores_both_rows_with_the_issued_tokens()
    {
        var user = Guid.NewGuid();
        var email = EmailOf(user);

        var outcome = await Service.ConnectAsync(user, email);

        Assert.Equal("success", outcome.Status);
        Assert.Equal("ringcentral", outcome.Query["integration"]);
        Assert.NotNull(outcome.Callback.Ticket);
        Assert.Equal(HttpStatusCode.OK, outcome.Complete!.StatusCode);
        Assert.Equal(email, outcome.Email);
        var issued = Assert.Single(Service.RingCentral.Issued, i => i.Email == email);
        var tokens = Service.Supabase.Row(FakeSupabase.TokensTable, user)!;
        Assert.Equal(issued.AccessToken, (string?)tokens["access_token"]);
        Assert.Equal(issued.RefreshToken, (string?)tokens["refresh_token"]);
        Assert.Equal(email, (string?)tokens["rc_email"]);
        var connection = Service.Supabase.Row(FakeSupabase.ConnectionsTable, user)!;
        Assert.Equal("connected", (string?)connection["status"]);
        Assert.Equal("ringcentral", (string?)connection["integration_id"]);
    }

    [Fact]
    public async Task A_ticket_posted_by_another_users_session_is_403_and_stores_nothing_for_anyone()
    {
        var (hank, ivy) = (Guid.NewGuid(), Guid.NewGuid());
        // Hank's authorize link, signed in to by Ivy at RingCentral: the popup's ticket names Hank.
        var callback = await Service.CallbackAsync(await Service.AuthorizeAsync(await Service.GetAuthUrlAsync(hank, EmailOf(hank))));
        var exchanges = Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();

        var answer = await Service.CompleteAsync(ivy, callback.Ticket, EmailOf(ivy));

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Equal(exchanges, Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count());
        Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, hank));
        Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, ivy));
    }

    [Fact]
    public async Task The_same_ticket_posted_twice_is_exchanged_once_and_the_stored_refresh_token_stays_valid()
    {
        var user = Guid.NewGuid();
        var first = await Service.ConnectAsync(user, EmailOf(user));
        var exchanges = Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();

        var again = await Service.CompleteAsync(user, first.Callback.Ticket, EmailOf(user));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(exchanges, Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count());
        var stored = (string?)Service.Supabase.Row(FakeSupabase.TokensTable, user)!["refresh_token"];
        Assert.Contains(stored, Service.RingCentral.ValidRefreshTokens());
    }

    [Fact]
    public async Task Status_is_not_connected_then_connected_and_disconnect_revokes_and_deletes_both_rows()
    {
        var user = Guid.NewGuid();
        var email = EmailOf(user);
        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await CallAsync(HttpMethod.Get, "/api/ringcentral/status", user));

        await Service.ConnectAsync(user, email);
        Assert.Equal((HttpStatusCode.OK, $$"""{"status":"connected","email":"{{email}}"}"""), await CallAsync(HttpMethod.Get, "/api/ringcentral/status", user));

        var issued = Assert.Single(Service.RingCentral.Issued, i => i.Email == email);
        Assert.Equal((HttpStatusCode.OK, """{"success":true}"""), await CallAsync(HttpMethod.Post, "/api/ringcentral/disconnect", user));
        Assert.Contains(Service.RingCentral.Revoked, t => t == issued.RefreshToken || t == issued.AccessToken);
        Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Null(Service.Supabase.Row(FakeSupabase.ConnectionsTable, user));
        Assert.Equal((HttpStatusCode.OK, """{"status":"not_connected"}"""), await CallAsync(HttpMethod.Get, "/api/ringcentral/status", user));
    }

    [Fact]
    public async Task Without_a_valid_token_the_api_answers_401_json_and_health_answers_ok()
    {
        using (var response = await Service.Client.PostAsync("/api/ringcentral/auth-url", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("error", out _));
        }
        using (var response = await Service.Client.GetAsync("/api/health"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        }
    }

    // Request limits. Azure's front end has its own, documented in docs/functions-adapter.md; both hosts here refuse
    // the same oversized requests with the same status codes.

    private async Task<(string Tokens, string Connection, string Token, int Issued)> ConnectedUserAsync(Guid user)
    {
        await Service.ConnectAsync(user, EmailOf(user));
        return (Service.Supabase.Row(FakeSupabase.TokensTable, user)!.ToJsonString(), Service.Supabase.Row(FakeSupabase.ConnectionsTable, user)!.ToJsonString(),
            Service.Supabase.MintAccessToken(user), Service.RingCentral.Issued.Count);
    }

    private void AssertUnchanged(Guid user, (string Tokens, string Connection, string Token, int Issued) before, int revokedBefore)
    {
        Assert.Equal(before.Tokens, Service.Supabase.Row(FakeSupabase.TokensTable, user)!.ToJsonString());
        Assert.Equal(before.Connection, Service.Supabase.Row(FakeSupabase.ConnectionsTable, user)!.ToJsonString());
        Assert.Equal(revokedBefore, Service.RingCentral.Revoked.Count);
        Assert.Equal(before.Issued, Service.RingCentral.Issued.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_disconnect_with_a_body_over_16_kb_is_413_and_deletes_nothing(bool chunked)
    {
        var user = Guid.NewGuid();
        var before = await ConnectedUserAsync(user);
        var revoked = Service.RingCentral.Revoked.Count;

        var answer = await RawHttp.SendAsync(Service.BaseUrl, "POST", "/api/ringcentral/disconnect",
            [("Authorization", "Bearer " + before.Token), ("Content-Type", "application/json")],
            Enumerable.Repeat((byte)'a', (int)RequestLimits.MaxBodyBytes + 1024).ToArray(), chunked);

        Assert.Equal(413, answer.Status);
        AssertUnchanged(user, before, revoked);
    }

    [Fact]
    public async Task A_disconnect_with_headers_over_32_kb_is_431_and_deletes_nothing()
    {
        var user = Guid.NewGuid();
        var before = await ConnectedUserAsync(user);
        var revoked = Service.RingCentral.Revoked.Count;
        var padding = Enumerable.Range(0, 40).Select(i => ($"X-Padding-{i}", new string('p', 1024)));

        var answer = await RawHttp.SendAsync(Service.BaseUrl, "POST", "/api/ringcentral/disconnect", [("Authorization", "Bearer " + before.Token), .. padding]);

        Assert.Equal(431, answer.Status);
        AssertUnchanged(user, before, revoked);
    }

    [Fact]
    public async Task A_callback_with_a_real_code_and_state_but_a_request_line_over_8_kb_is_414_and_redeems_nothing()
    {
        var user = Guid.NewGuid();
        var callback = await Service.AuthorizeAsync(await Service.GetAuthUrlAsync(user, EmailOf(user)));
        var exchanges = Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();

        var answer = await RawHttp.SendAsync(Service.BaseUrl, "GET", callback.PathAndQuery + "&pad=" + new string('x', 9 * 1024));

        Assert.Equal(414, answer.Status);
        Assert.Equal(exchanges, Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count());
        Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, user));
        Assert.Equal("success", (await Service.CallbackAsync(callback.ToString())).Status); // the size was refused, not the content
    }

    // Cross-origin calls, as Azure's platform CORS answers them (the app adds no CORS headers itself in Azure).

    [Theory]
    [InlineData("/api/ringcentral/auth-url", "POST", 200)]
    [InlineData("/api/ringcentral/status", "GET", 200)]
    [InlineData("/api/ringcentral/disconnect", "POST", 200)]
    [InlineData("/api/ringcentral/complete", "POST", 400)] // no ticket: a JSON error, still readable by the ERP origin
    public async Task The_erp_origin_is_granted_cors_on_preflight_and_on_the_call_itself_without_credentials(string path, string method, int expected)
    {
        var preflight = await RawHttp.SendAsync(Service.BaseUrl, "OPTIONS", path,
            [("Origin", AllowedOrigin), ("Access-Control-Request-Method", method), ("Access-Control-Request-Headers", "authorization,content-type")]);
        Assert.InRange(preflight.Status, 200, 204);
        Assert.Equal(AllowedOrigin, preflight.Header("Access-Control-Allow-Origin"));
        Assert.Contains("authorization", preflight.Header("Access-Control-Allow-Headers") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("content-type", preflight.Header("Access-Control-Allow-Headers") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Contains(method, preflight.Header("Access-Control-Allow-Methods") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Null(preflight.Header("Access-Control-Allow-Credentials"));

        var call = await RawHttp.SendAsync(Service.BaseUrl, method, path,
            [("Origin", AllowedOrigin), ("Authorization", "Bearer " + Service.Supabase.MintAccessToken(Guid.NewGuid())), ("Content-Length", "0")]);
        Assert.Equal(expected, call.Status);
        Assert.Equal(AllowedOrigin, call.Header("Access-Control-Allow-Origin"));
        Assert.Null(call.Header("Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("https://erp.example.test.evil.example")]
    [InlineData("http://erp.example.test")]
    [InlineData("https://erp.example.test:8443")]
    [InlineData("https://sub.erp.example.test")]
    public async Task A_foreign_origin_is_granted_nothing_on_preflight_or_call(string origin)
    {
        var preflight = await RawHttp.SendAsync(Service.BaseUrl, "OPTIONS", "/api/ringcentral/status",
            [("Origin", origin), ("Access-Control-Request-Method", "GET"), ("Access-Control-Request-Headers", "authorization")]);
        Assert.Null(preflight.Header("Access-Control-Allow-Origin"));
        Assert.Null(preflight.Header("Access-Control-Allow-Credentials"));

        var call = await RawHttp.SendAsync(Service.BaseUrl, "GET", "/api/ringcentral/status",
            [("Origin", origin), ("Authorization", "Bearer " + Service.Supabase.MintAccessToken(Guid.NewGuid()))]);
        Assert.Null(call.Header("Access-Control-Allow-Origin"));
        Assert.Null(call.Header("Access-Control-Allow-Credentials"));
    }

    // Log hygiene: everything the service logs (for the Functions app: the worker's stdout, stderr and RpcLog messages).

    [Fact]
    public async Task Nothing_the_service_logs_during_a_full_session_carries_a_credential_or_one_time_value()
    {
        var secrets = new List<(string What, string Value)>();
        void Add(string what, string? value)
        {
            if (!string.IsNullOrEmpty(value)) secrets.Add((what, value));
        }

        async Task<ConnectOutcome> ConnectAsync(Guid user)
        {
            var bearer = Service.Supabase.MintAccessToken(user, EmailOf(user));
            Add("Supabase access token", bearer);
            using var response = await Service.Client.SendAsync(ServiceFlows.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", bearer));
            var authUrl = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("authUrl").GetString()!;
            var callback = await Service.AuthorizeAsync(authUrl);
            var query = QueryHelpers.ParseQuery(callback.Query);
            Add("state", query["state"]);
            Add("authorization code", query["code"]);
            var outcome = await Service.CallbackAsync(callback.ToString());
            Add("ticket", outcome.Ticket);
            if (outcome.Status != "success") return new ConnectOutcome(outcome, null);
            using var complete = ServiceFlows.Authorized(HttpMethod.Post, ServiceHost.CompletePath, bearer); // the same session finishes it
            complete.Content = JsonContent.Create(new { ticket = outcome.Ticket });
            return new ConnectOutcome(outcome, await Service.SendCompleteAsync(complete));
        }

        var (alice, bob, carol) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var tokenCallsBefore = Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();
        Assert.Equal("success", (await ConnectAsync(alice)).Status);
        Add("Supabase access token", Service.Supabase.MintAccessToken(alice));
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Get, "/api/ringcentral/status", alice)).Status);
        try
        {
            Service.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(400, FakeRingCentral.OAuthErrorBody("invalid_grant", "OAU-106", UpstreamMarker), Times: 1));
            Assert.Equal(CallbackMessages.Rejected, (await ConnectAsync(bob)).Message);
            Service.Supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute("ringcentral_oauth_save")), new Fault(500, FakeSupabase.ErrorBody("XX000", UpstreamMarker), Times: 3));
            Assert.Equal(CallbackMessages.SaveFailed, (await ConnectAsync(carol)).Message);
        }
        finally
        {
            Service.RingCentral.ClearFaults();
            Service.Supabase.ClearFaults();
        }
        await Service.CallbackAsync($"/api/ringcentral/callback?error=access_denied&error_description={UpstreamMarker}&state=x");
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(HttpMethod.Post, "/api/ringcentral/disconnect", alice)).Status);

        foreach (var issued in Service.RingCentral.Issued)
        {
            Add("RingCentral access token", issued.AccessToken);
            Add("RingCentral refresh token", issued.RefreshToken);
        }
        foreach (var request in Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Skip(tokenCallsBefore))
        {
            var form = QueryHelpers.ParseQuery(request.Body);
            Add("PKCE verifier", form["code_verifier"]);
            Add("client auth header", request.Header("Authorization"));
        }
        Add("client secret", FakeRingCentral.ClientSecret);
        Add("Basic credentials", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}")));
        Add("service role key", Service.Supabase.ServiceKey);
        Add("state key", Service.StateKey);
        Add("upstream free text", UpstreamMarker);

        var lines = Service.LogLines();
        var text = string.Join('\n', lines);
        foreach (var expected in new[] { "ConnectStarted", "CallbackTicketIssued", "ConnectSucceeded", "ConnectFailed", "ConnectRolledBack", "Disconnected" })
            Assert.Contains(expected, text); // the scan covers the service's own events, not an empty log
        var leaks = secrets
            .SelectMany(s => Pieces(s.Value).Where(p => text.Contains(p, StringComparison.Ordinal)).Take(1).Select(p => $"{s.What} ({p})"))
            .Distinct().ToList();
        var leakyLines = lines.Where(l => secrets.Any(s => Pieces(s.Value).Any(p => l.Contains(p, StringComparison.Ordinal)))).Distinct().Take(10);
        Assert.True(leaks.Count == 0, $"{Service.HostName} logged: " + string.Join("; ", leaks) + "\nin lines such as:\n" + string.Join("\n", leakyLines));
    }

    /// <summary>The value and, for long values, every 12-character piece of it (a truncated or split token is still a leak).</summary>
    private static IEnumerable<string> Pieces(string value)
    {
        yield return value;
        const int piece = 12;
        for (var i = 0; i + piece <= value.Length; i += piece / 2)
            yield return value.Substring(i, piece);
    }
}
