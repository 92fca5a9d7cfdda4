using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Monitoring;

/// <summary>
/// OpenTelemetry listens process-wide (every ActivitySource and Meter of a name, in every host), so the tests that
/// read exported telemetry run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "exported telemetry";
}

/// <summary>
/// The real local host with the app's OpenTelemetry wiring and in-memory exporters: a connect (auth-url, callback, complete),
/// a connect whose token exchange finds RingCentral down, and a disconnect. The spans form one trace per function
/// call with a child per upstream call, failures are marked, the connect counter and upstream durations have the
/// expected points, and nothing exported contains a credential or one-time value.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class OpenTelemetryFlowTests
{
    private sealed record Session(ServiceHost Host, TelemetryCapture Telemetry, List<(string What, string Value)> Secrets);

    private static async Task<Session> RunAsync()
    {
        var telemetry = new TelemetryCapture();
        var host = await ServiceHost.StartAsync(configure: telemetry.Configure);
        var secrets = new List<(string What, string Value)>();
        void Secret(string what, string? value)
        {
            if (!string.IsNullOrEmpty(value)) secrets.Add((what, value));
        }

        async Task<CompleteOutcome> ConnectAsync(Guid user, string email)
        {
            var bearer = host.Supabase.MintAccessToken(user, email);
            Secret("Supabase access token", bearer);
            using var response = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", bearer));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var authUrl = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("authUrl").GetString()!;
            var callback = await host.AuthorizeAsync(authUrl);
            var query = QueryHelpers.ParseQuery(callback.Query);
            Secret("state", query["state"]);
            Secret("authorization code", query["code"]);
            var outcome = await host.CallbackAsync(callback);
            Assert.Equal("success", outcome.Status);
            Secret("ticket", outcome.Ticket);
            return await host.CompleteAsync(user, outcome.Ticket, email);
        }

        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.Equal(HttpStatusCode.OK, (await ConnectAsync(alice, "alice@rebar.test")).StatusCode);

        host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(503, "{}", Times: 1));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await ConnectAsync(bob, "bob@rebar.test")).StatusCode);

        var aliceBearer = host.Supabase.MintAccessToken(alice);
        Secret("Supabase access token", aliceBearer);
        using (var disconnect = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", aliceBearer)))
            Assert.Equal(HttpStatusCode.OK, disconnect.StatusCode);

        foreach (var issued in host.RingCentral.Issued)
        {
            Secret("RingCentral access token", issued.AccessToken);
            Secret("RingCentral refresh token", issued.RefreshToken);
        }

        foreach (var request in host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"))
        {
            var form = QueryHelpers.ParseQuery(request.Body);
            Secret("PKCE verifier", form["code_verifier"]);
            Secret("authorization code (as sent)", form["code"]);
            Secret("client auth header", request.Header("Authorization"));
        }

        Secret("client secret", FakeRingCentral.ClientSecret);
        Secret("Basic credentials", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}")));
        Secret("service role key", host.Supabase.ServiceKey);
        Secret("state key", host.StateKey);

        telemetry.Flush(host.App.Services);
        return new Session(host, telemetry, secrets);
    }

    private static List<Activity> Spans(TelemetryCapture telemetry)
    {
        lock (telemetry.Spans) return [.. telemetry.Spans];
    }

    private static List<Activity> Children(List<Activity> spans, Activity parent) =>
        spans.Where(s => s.ParentSpanId == parent.SpanId && s.TraceId == parent.TraceId).ToList();

    [Fact]
    public async Task Each_function_call_is_one_trace_with_a_child_span_per_upstream_call_and_failures_are_marked()
    {
        var session = await RunAsync();
        await using var _ = session.Host;
        var spans = Spans(session.Telemetry);
        var functions = spans.Where(s => s.Source.Name == Tracing.SourceName && s.GetTagItem(Tracing.FunctionAttribute) is not null).ToList();

        // Two connects (auth-url + callback + complete each) and one disconnect; each call is its own trace (continuing
        // the caller's, here the test's HttpClient span, as in Azure it continues the Functions host's).
        Assert.Equal(["Callback", "Callback", "Complete", "Complete", "Disconnect", "GetAuthUrl", "GetAuthUrl"], functions.Select(f => f.DisplayName).Order().ToArray());
        Assert.Equal(functions.Count, functions.Select(f => f.TraceId).Distinct().Count());

        // Every upstream span hangs off a function span of the same trace; none is orphaned.
        var upstream = spans.Where(s => s.GetTagItem(Tracing.UpstreamAttribute) is not null).ToList();
        Assert.All(upstream, u => Assert.Contains(functions, f => f.SpanId == u.ParentSpanId && f.TraceId == u.TraceId));

        // The Callback calls nothing upstream; Complete does the exchange and the saves.
        Assert.All(functions.Where(f => f.DisplayName == "Callback"), c => Assert.Empty(Children(spans, c)));
        var callbacks = functions.Where(f => f.DisplayName == "Complete").OrderBy(f => f.StartTimeUtc).ToArray();
        var succeeded = Children(spans, callbacks[0]).Select(s => s.DisplayName).ToList();
        Assert.Contains("RingCentral POST /restapi/oauth/token", succeeded);
        Assert.Contains("RingCentral GET /restapi/v1.0/account/~/extension/~", succeeded);
        Assert.Contains("PostgREST POST /rest/v1/rpc/ringcentral_oauth_claim", succeeded);
        Assert.Contains("PostgREST POST /rest/v1/rpc/ringcentral_oauth_save", succeeded);
        Assert.Equal(4, succeeded.Count); // claim, exchange, label, save
        Assert.All(Children(spans, callbacks[0]), s => Assert.NotEqual(ActivityStatusCode.Error, s.Status));

        // The first auth-url fetched the signing keys.
        var firstAuthUrl = functions.Where(f => f.DisplayName == "GetAuthUrl").OrderBy(f => f.StartTimeUtc).First();
        Assert.Contains("JWKS GET /auth/v1/.well-known/jwks.json", Children(spans, firstAuthUrl).Select(s => s.DisplayName));

        // RingCentral down during the second exchange: that span is failed and says why in fixed terms.
        var failedExchange = Assert.Single(Children(spans, callbacks[1]), s => s.DisplayName == "RingCentral POST /restapi/oauth/token");
        Assert.Equal(ActivityStatusCode.Error, failedExchange.Status);
        Assert.Equal(503, failedExchange.GetTagItem("http.response.status_code"));
        Assert.Equal(UpstreamCalls.Unavailable, failedExchange.GetTagItem(Tracing.OutcomeAttribute));

        // Under each upstream span, the HttpClient span of the actual request: URL without query string.
        var httpSpans = spans.Where(s => s.Kind == ActivityKind.Client && upstream.Any(u => u.SpanId == s.ParentSpanId)).ToList();
        Assert.True(httpSpans.Count >= upstream.Count);
        Assert.All(httpSpans, s => Assert.DoesNotContain("?", (string)s.GetTagItem("url.full")!));
        Assert.Contains(httpSpans, s => ((string)s.GetTagItem("url.full")!).EndsWith("/rest/v1/rpc/ringcentral_oauth_save", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_connect_counter_and_upstream_durations_have_a_point_per_outcome()
    {
        var session = await RunAsync();
        await using var _ = session.Host;
        var t = session.Telemetry;
        const string connects = "ringcentral.connect.outcomes";
        var text = string.Join("\n", t.ExportedText().Where(l => l.StartsWith("metric", StringComparison.Ordinal)));

        Assert.Equal(2, t.CounterSum(connects, ("outcome", "started"), ("reason", "none")));
        Assert.True(1 == t.CounterSum(connects, ("outcome", "succeeded"), ("reason", "none")), text);
        Assert.True(1 == t.CounterSum(connects, ("outcome", "failed"), ("reason", "exchange_provider_unavailable")), text);
        Assert.Equal(1, t.CounterSum("ringcentral.disconnects", ("revoked", "True")));

        const string upstream = UpstreamCalls.DurationMetric;
        Assert.Equal(1, t.HistogramCount(upstream, (UpstreamCalls.UpstreamDimension, Upstreams.RingCentral), (UpstreamCalls.OutcomeDimension, UpstreamCalls.Unavailable)));
        // Alice's exchange, her extension lookup and the disconnect's revoke.
        Assert.Equal(3, t.HistogramCount(upstream, (UpstreamCalls.UpstreamDimension, Upstreams.RingCentral), (UpstreamCalls.OutcomeDimension, UpstreamCalls.Ok)));
        Assert.True(t.HistogramCount(upstream, (UpstreamCalls.UpstreamDimension, Upstreams.SupabaseRest), (UpstreamCalls.OutcomeDimension, UpstreamCalls.Ok)) >= 4);
        Assert.Equal(1, t.HistogramCount(upstream, (UpstreamCalls.UpstreamDimension, Upstreams.SupabaseJwks), (UpstreamCalls.OutcomeDimension, UpstreamCalls.Ok)));
    }

    [Fact]
    public async Task No_exported_name_attribute_metric_tag_or_log_record_carries_a_credential_or_one_time_value()
    {
        var session = await RunAsync();
        await using var _ = session.Host;
        var lines = session.Telemetry.ExportedText();

        // Enough was exported and enough secrets were collected for the scan to mean something.
        Assert.True(session.Secrets.Count >= 15, $"only {session.Secrets.Count} secrets collected");
        Assert.Contains(lines, l => l.StartsWith("span ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("metric-tag ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("ConnectSucceeded", StringComparison.Ordinal));
        // The callback URL (code and state in its query) passed through the HttpClient instrumentation of the test's own client.
        Assert.Contains(lines, l => l.StartsWith("span-tag url.full=", StringComparison.Ordinal) && l.EndsWith("/api/ringcentral/callback", StringComparison.Ordinal));

        var leaks = session.Secrets
            .SelectMany(s => Pieces(s.Value).Where(p => lines.Any(l => l.Contains(p, StringComparison.Ordinal))).Take(1).Select(p => $"{s.What} ({p})"))
            .Distinct().ToList();
        var leakyLines = lines.Where(l => session.Secrets.Any(s => Pieces(s.Value).Any(p => l.Contains(p, StringComparison.Ordinal)))).Distinct().Take(10);
        Assert.True(leaks.Count == 0, "Exported: " + string.Join("; ", leaks) + "\nin:\n" + string.Join("\n", leakyLines));
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
