using System.Net;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.Fakes;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// Every log line written while users connect (successfully, with a RingCentral refusal, with a failed save that is
/// rolled back, with a provider error, with a ticket posted by another user and posted again), check status and
/// disconnect contains no credential and no one-time value: not a token, code, PKCE verifier, state, ticket, flow id,
/// client secret, service key, state key or Supabase access token, whole or in part.
/// </summary>
public sealed class LogHygieneTests
{
    private const string UpstreamMarker = "free-text-from-upstream-9c2d";

    private sealed class Secrets
    {
        private readonly List<(string What, string Value)> _values = [];
        public void Add(string what, string? value)
        {
            if (!string.IsNullOrEmpty(value)) _values.Add((what, value));
        }

        public IReadOnlyList<(string What, string Value)> All => _values;
    }

    /// <summary>The full flow by hand (auth-url, authorize, callback, Complete), so every bearer token, state, code and ticket passing through is known.</summary>
    private static async Task<ConnectOutcome> ConnectAsync(ServiceHost host, Guid user, string email, Secrets secrets)
    {
        var bearer = host.Supabase.MintAccessToken(user, email);
        secrets.Add("Supabase access token", bearer);
        using var response = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", bearer));
        var authUrl = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("authUrl").GetString()!;
        var callback = await host.AuthorizeAsync(authUrl);
        var query = QueryHelpers.ParseQuery(callback.Query);
        secrets.Add("state", query["state"]);
        secrets.Add("authorization code", query["code"]);
        var outcome = await host.CallbackAsync(callback);
        secrets.Add("ticket", outcome.Ticket);
        var tickets = host.App.Services.GetRequiredService<TicketProtector>();
        var keys = await host.App.Services.GetRequiredService<StateKeySource>().GetAsync(CancellationToken.None);
        Assert.Equal(EnvelopeRejection.None, tickets.TryOpen(outcome.Ticket, keys, out var ticket));
        secrets.Add("flow id", ticket!.FlowId);
        return new ConnectOutcome(outcome, await CompleteAsync(host, user, outcome.Ticket!, secrets));
    }

    private static async Task<CompleteOutcome> CompleteAsync(ServiceHost host, Guid user, string ticket, Secrets secrets)
    {
        var bearer = host.Supabase.MintAccessToken(user);
        secrets.Add("Supabase access token", bearer);
        using var request = host.Authorized(HttpMethod.Post, ServiceHost.CompletePath, bearer);
        request.Content = System.Net.Http.Json.JsonContent.Create(new { ticket });
        return await host.SendCompleteAsync(request);
    }

    private static async Task<HttpStatusCode> CallAsync(ServiceHost host, HttpMethod method, string path, Guid user, Secrets secrets)
    {
        var bearer = host.Supabase.MintAccessToken(user);
        secrets.Add("Supabase access token", bearer);
        using var response = await host.Client.SendAsync(host.Authorized(method, path, bearer));
        return response.StatusCode;
    }

    /// <summary>The value and, for long values, every 12-character piece of it (a truncated or split token is still a leak).</summary>
    private static IEnumerable<string> Pieces(string value)
    {
        yield return value;
        const int piece = 12;
        for (var i = 0; i + piece <= value.Length; i += piece / 2)
            yield return value.Substring(i, piece);
    }

    /// <summary>Success, status, a refused code, a rolled-back save, a cancel with a description, a disconnect; returns every secret seen.</summary>
    private static async Task<Secrets> RunSessionAsync(ServiceHost host)
    {
        var secrets = new Secrets();
        var (alice, bob, carol) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        // Success, then a status check.
        var aliceConnect = await ConnectAsync(host, alice, "alice@rebar.test", secrets);
        Assert.Equal("success", aliceConnect.Status);
        // Another user posts Alice's ticket (403); Alice posts it again (a replay, answered from the stored row).
        Assert.Equal(HttpStatusCode.Forbidden, (await CompleteAsync(host, bob, aliceConnect.Callback.Ticket!, secrets)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CompleteAsync(host, alice, aliceConnect.Callback.Ticket!, secrets)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, HttpMethod.Get, "/api/ringcentral/status", alice, secrets));

        // RingCentral refuses the code (its error text must not be logged either).
        host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(400, FakeRingCentral.OAuthErrorBody("invalid_grant", "OAU-106", UpstreamMarker), Times: 1));
        Assert.Equal(CallbackMessages.Rejected, (await ConnectAsync(host, bob, "bob@rebar.test", secrets)).Message);

        // Tokens issued but the save fails: nothing written, the new tokens revoked.
        host.Supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute("ringcentral_oauth_save")), new Fault(500, FakeSupabase.ErrorBody("XX000", UpstreamMarker), Times: 3));
        Assert.Equal(CallbackMessages.SaveFailed, (await ConnectAsync(host, carol, "carol@rebar.test", secrets)).Message);
        Assert.NotEmpty(host.RingCentral.Revoked);

        // The user cancels at RingCentral; a description comes back on the redirect.
        await host.CallbackAsync($"/api/ringcentral/callback?error=access_denied&error_description={UpstreamMarker}&state=x");

        // Disconnect revokes and deletes.
        Assert.Equal(HttpStatusCode.OK, await CallAsync(host, HttpMethod.Post, "/api/ringcentral/disconnect", alice, secrets));

        foreach (var issued in host.RingCentral.Issued)
        {
            secrets.Add("RingCentral access token", issued.AccessToken);
            secrets.Add("RingCentral refresh token", issued.RefreshToken);
        }

        foreach (var request in host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"))
        {
            var form = QueryHelpers.ParseQuery(request.Body);
            secrets.Add("PKCE verifier", form["code_verifier"]);
            secrets.Add("authorization code (as sent)", form["code"]);
            secrets.Add("client auth header", request.Header("Authorization"));
        }

        secrets.Add("client secret", FakeRingCentral.ClientSecret);
        secrets.Add("Basic credentials", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}")));
        secrets.Add("service role key", host.Supabase.ServiceKey);
        secrets.Add("state key", host.StateKey);
        secrets.Add("upstream free text", UpstreamMarker);

        // Enough happened for a scan to mean something.
        Assert.Equal(2, host.RingCentral.Issued.Count); // Alice's and Carol's (Bob's exchange was refused)
        Assert.True(secrets.All.Count >= 20);
        return secrets;
    }

    /// <summary>Each captured line with its category, event, message, exception and every structured field.</summary>
    private static List<string> Lines(ServiceHost host, Func<string?, bool> category) =>
        host.Logs.GetSnapshot().Where(r => category(r.Category)).Select(r =>
            $"{r.Level} {r.Category} {r.Id.Name} {r.Message} {r.Exception} " +
            string.Join(' ', r.StructuredState?.Select(s => s.Key + "=" + s.Value) ?? [])).ToList();

    private static void AssertNoLeaks(Secrets secrets, List<string> lines)
    {
        var leaks = secrets.All
            .SelectMany(s => Pieces(s.Value).Where(p => lines.Any(l => l.Contains(p, StringComparison.Ordinal))).Take(1).Select(p => $"{s.What} ({p})"))
            .Distinct().ToList();
        var leakyLines = lines.Where(l => secrets.All.Any(s => Pieces(s.Value).Any(p => l.Contains(p, StringComparison.Ordinal)))).Distinct().Take(10);
        Assert.True(leaks.Count == 0, "Found in the logs: " + string.Join("; ", leaks) + "\nin lines such as:\n" + string.Join("\n", leakyLines));
    }

    [Fact]
    public async Task The_services_own_log_lines_of_a_full_session_carry_no_credential_or_one_time_value()
    {
        await using var host = await ServiceHost.StartAsync();
        var secrets = await RunSessionAsync(host);

        var lines = Lines(host, c => c?.StartsWith("RingCentralOAuthFunctions", StringComparison.Ordinal) == true);
        var text = string.Join('\n', lines);
        foreach (var expected in new[] { "ConnectStarted", "CallbackTicketIssued", "ConnectSucceeded", "ConnectFailed", "ConnectRefused", "ConnectReplayed", "ConnectRolledBack", "StatusChecked", "Disconnected" })
            Assert.Contains(expected, text);
        AssertNoLeaks(secrets, lines);
    }

    [Fact]
    public async Task No_credential_or_one_time_value_appears_in_any_log_line_of_a_full_session_at_trace_level()
    {
        await using var host = await ServiceHost.StartAsync();
        var secrets = await RunSessionAsync(host);

        AssertNoLeaks(secrets, Lines(host, _ => true));
    }
}
