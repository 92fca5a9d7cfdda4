using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Tests.Supabase;

/// <summary>
/// The PostgREST store (<c>Supabase/PostgrestTokenStore</c> over <c>Supabase/PostgrestClient</c>) through its public
/// surface (<see cref="ITokenStore"/>, <see cref="IFlowStore"/>) as the app registers it, against the fake Supabase's
/// wire behaviour: the exact requests sent, each answer mapped to its result, and every failure surfacing as
/// <see cref="TokenStoreException"/> with PostgREST's short code only, logged once.
/// </summary>
public sealed class PostgrestTokenStoreTests : IAsyncLifetime
{
    private const string Secret = "rt-secret-that-must-not-leak";
    private FakeSupabase _supabase = null!;
    private ServiceProvider _services = null!;

    private IFlowStore Flows => _services.GetRequiredService<IFlowStore>();
    private ITokenStore Tokens => _services.GetRequiredService<ITokenStore>();
    private FakeLogCollector Logs => _services.GetFakeLogCollector();

    public async Task InitializeAsync()
    {
        _supabase = await FakeSupabase.StartNewAsync();
        _services = Build(_supabase.Url, FakeSupabase.LegacyServiceRoleKey);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _supabase.DisposeAsync();
    }

    private static ServiceProvider Build(string supabaseUrl, string serviceKey)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Supabase:Url"] = supabaseUrl,
            ["Supabase:ServiceRoleKey"] = serviceKey,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false));
        services.AddRingCentralOAuth(configuration);
        return services.BuildServiceProvider();
    }

    private RecordedRequest OnlyRequest(string method, string path) =>
        Assert.Single(_supabase.RequestsTo(method, path), r => r.Path == path);

    private List<FakeLogRecord> StoreFailures() =>
        Logs.GetSnapshot().Where(r => r.Id.Name == "StoreRequestFailed").ToList();

    private static JsonObject Body(RecordedRequest request) => Assert.IsType<JsonObject>(JsonNode.Parse(request.Body));

    private async Task<(string Marker, Guid UserId, Guid ClaimId)> ClaimAsync(Guid? userId = null)
    {
        var (marker, user, claim) = ("flow-" + Guid.NewGuid().ToString("N"), userId ?? Guid.NewGuid(), Guid.NewGuid());
        Assert.Equal(ClaimResult.Claimed, (await Flows.ClaimFlowAsync(marker, user, claim, 10, TimeSpan.FromMinutes(10), default)).Result);
        return (marker, user, claim);
    }

    private Task<FlowSaveOutcome> SaveAsync((string Marker, Guid UserId, Guid ClaimId) flow, string refreshToken, string email = "ext@example.com") =>
        Flows.SaveFlowAsync(new FlowSave(flow.Marker, flow.UserId, flow.ClaimId, email, refreshToken, "at-" + refreshToken,
            DateTimeOffset.UtcNow.AddHours(1)), default);

    // ---- The requests sent ----

    [Fact]
    public async Task A_claim_is_one_rpc_post_with_named_arguments_and_a_jwt_key_as_apikey_and_bearer()
    {
        var (userId, claimId) = (Guid.NewGuid(), Guid.NewGuid());
        var claim = await Flows.ClaimFlowAsync("flow-a", userId, claimId, 7, TimeSpan.FromMinutes(15), default);

        Assert.Equal(ClaimResult.Claimed, claim.Result);
        var request = OnlyRequest("POST", "/rest/v1/rpc/ringcentral_oauth_claim");
        Assert.Equal("", request.Query);
        Assert.Equal(FakeSupabase.LegacyServiceRoleKey, request.Header("apikey"));
        Assert.Equal("Bearer " + FakeSupabase.LegacyServiceRoleKey, request.Header("Authorization"));
        Assert.Null(request.Header("Prefer"));
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        var body = Body(request);
        Assert.Equal(["p_claim_id", "p_flow_marker", "p_max_claims", "p_user_id", "p_window_seconds"], body.Select(p => p.Key).Order());
        Assert.Equal("flow-a", (string?)body["p_flow_marker"]);
        Assert.Equal(userId.ToString(), (string?)body["p_user_id"]);
        Assert.Equal(claimId.ToString(), (string?)body["p_claim_id"]);
        Assert.Equal(7, (int?)body["p_max_claims"]);
        Assert.Equal(900, (int?)body["p_window_seconds"]);
    }

    [Fact]
    public async Task A_new_sb_secret_key_is_sent_as_apikey_only()
    {
        _supabase.ServiceKey = FakeSupabase.NewSecretKey;
        await using var services = Build(_supabase.Url, FakeSupabase.NewSecretKey);
        var userId = Guid.NewGuid();

        Assert.Null(await services.GetRequiredService<ITokenStore>().GetTokenSummaryAsync(userId, default));

        var request = OnlyRequest("GET", "/rest/v1/user_ringcentral_tokens");
        Assert.Equal(FakeSupabase.NewSecretKey, request.Header("apikey"));
        Assert.Null(request.Header("Authorization"));
        Assert.Contains($"user_id=eq.{userId}", request.Query);
        Assert.Contains("select=", request.Query);
        Assert.DoesNotContain("refresh_token=", request.Query);
    }

    [Fact]
    public async Task A_save_sends_the_tokens_in_the_body_never_in_the_query()
    {
        var flow = await ClaimAsync();
        var expires = DateTimeOffset.UtcNow.AddHours(1);
        await Flows.SaveFlowAsync(new FlowSave(flow.Marker, flow.UserId, flow.ClaimId, "ext@example.com", Secret, "access-" + Secret, expires), default);

        var request = OnlyRequest("POST", "/rest/v1/rpc/ringcentral_oauth_save");
        Assert.Equal("", request.Query);
        var body = Body(request);
        Assert.Equal(["p_access_token", "p_claim_id", "p_flow_marker", "p_rc_email", "p_refresh_token", "p_token_expires_at", "p_user_id"],
            body.Select(p => p.Key).Order());
        Assert.Equal(Secret, (string?)body["p_refresh_token"]);
        Assert.Equal("ext@example.com", (string?)body["p_rc_email"]);
        Assert.Equal(flow.ClaimId.ToString(), (string?)body["p_claim_id"]);
    }

    [Fact]
    public async Task Reading_a_token_summary_selects_the_label_and_version_only_never_a_token()
    {
        var userId = Guid.NewGuid();
        await SaveAsync(await ClaimAsync(userId), Secret, "label@example.com");

        var summary = await Tokens.GetTokenSummaryAsync(userId, default);

        Assert.Equal("label@example.com", summary!.RcEmail);
        Assert.NotNull(summary.UpdatedAt);
        var request = OnlyRequest("GET", "/rest/v1/user_ringcentral_tokens");
        Assert.Contains("select=rc_email,updated_at&", request.Query);
        Assert.Contains($"user_id=eq.{userId}", request.Query);
        Assert.DoesNotContain("token", request.Query.Replace("user_ringcentral_tokens", ""));
    }

    [Fact]
    public async Task Marking_no_revocation_done_sends_nothing()
    {
        await Flows.MarkRevokedAsync([], default);
        Assert.Empty(_supabase.RequestsTo("POST", "/rest/v1/rpc/"));
    }

    // ---- Answers mapped to results ----

    [Fact]
    public async Task A_flow_claimed_elsewhere_is_used_with_its_recorded_outcome()
    {
        var flow = await ClaimAsync();
        var again = await Flows.ClaimFlowAsync(flow.Marker, flow.UserId, Guid.NewGuid(), 10, TimeSpan.FromMinutes(10), default);
        Assert.Equal(ClaimResult.Used, again.Result);
        Assert.Equal("claimed", again.RecordedOutcome);
    }

    [Fact]
    public async Task A_completed_flow_claimed_again_is_connected_with_its_label()
    {
        var flow = await ClaimAsync();
        Assert.Equal(SaveResult.Connected, (await SaveAsync(flow, "rt-1", "label@example.com")).Result);

        var again = await Flows.ClaimFlowAsync(flow.Marker, flow.UserId, Guid.NewGuid(), 10, TimeSpan.FromMinutes(10), default);
        Assert.Equal(ClaimResult.Connected, again.Result);
        Assert.Equal("label@example.com", again.Label);
    }

    [Fact]
    public async Task Too_many_claims_are_rate_limited_with_the_database_retry_after()
    {
        var userId = Guid.NewGuid();
        Assert.Equal(ClaimResult.Claimed, (await Flows.ClaimFlowAsync("flow-1", userId, Guid.NewGuid(), 1, TimeSpan.FromMinutes(5), default)).Result);

        var limited = await Flows.ClaimFlowAsync("flow-2", userId, Guid.NewGuid(), 1, TimeSpan.FromMinutes(5), default);
        Assert.Equal(ClaimResult.RateLimited, limited.Result);
        Assert.InRange(limited.RetryAfter, TimeSpan.FromSeconds(290), TimeSpan.FromSeconds(300));
    }

    [Fact]
    public async Task A_save_connects_and_owes_the_refresh_token_it_displaced()
    {
        var userId = Guid.NewGuid();
        var first = await SaveAsync(await ClaimAsync(userId), "rt-first");
        Assert.Equal(SaveResult.Connected, first.Result);
        Assert.Empty(first.Revoke);

        var second = await SaveAsync(await ClaimAsync(userId), "rt-second");
        Assert.Equal(SaveResult.Connected, second.Result);
        Assert.Equal("rt-first", Assert.Single(second.Revoke).RefreshToken);

        Assert.Equal("rt-second", (string?)_supabase.Row(FakeSupabase.TokensTable, userId)!["refresh_token"]);
        Assert.Equal("connected", (string?)_supabase.Row(FakeSupabase.ConnectionsTable, userId)!["status"]);
    }

    [Fact]
    public async Task A_save_without_a_claim_is_not_claimed_and_owes_its_own_token()
    {
        var outcome = await SaveAsync(("flow-unclaimed", Guid.NewGuid(), Guid.NewGuid()), "rt-orphan");
        Assert.Equal(SaveResult.NotClaimed, outcome.Result);
        Assert.Equal("rt-orphan", Assert.Single(outcome.Revoke).RefreshToken);
    }

    [Fact]
    public async Task A_save_after_a_newer_connection_is_superseded_and_owes_its_own_token()
    {
        var userId = Guid.NewGuid();
        var older = await ClaimAsync(userId);
        var newer = await ClaimAsync(userId);
        Assert.Equal(SaveResult.Connected, (await SaveAsync(newer, "rt-newer")).Result);

        var outcome = await SaveAsync(older, "rt-older");
        Assert.Equal(SaveResult.Superseded, outcome.Result);
        Assert.Equal("rt-older", Assert.Single(outcome.Revoke).RefreshToken);
        Assert.Equal("rt-newer", (string?)_supabase.Row(FakeSupabase.TokensTable, userId)!["refresh_token"]);
    }

    [Fact]
    public async Task A_disconnect_reports_whether_there_was_a_connection_and_owes_its_token()
    {
        var userId = Guid.NewGuid();
        await SaveAsync(await ClaimAsync(userId), "rt-kept");

        var first = await Flows.DisconnectAsync(userId, default);
        Assert.True(first.HadConnection);
        Assert.Equal("rt-kept", Assert.Single(first.Revoke).RefreshToken);
        Assert.Null(_supabase.Row(FakeSupabase.TokensTable, userId));
        Assert.Null(_supabase.Row(FakeSupabase.ConnectionsTable, userId));

        var second = await Flows.DisconnectAsync(userId, default);
        Assert.False(second.HadConnection);
        Assert.Empty(second.Revoke);
        Assert.Equal(["p_user_id"], Body(_supabase.RequestsTo("POST", "/rest/v1/rpc/ringcentral_oauth_disconnect").Last()).Select(p => p.Key));
    }

    [Fact]
    public async Task Owed_revocations_are_taken_and_marked_done_by_id()
    {
        var outcome = await SaveAsync(("flow-unclaimed", Guid.NewGuid(), Guid.NewGuid()), "rt-owed");
        var owedId = Assert.Single(outcome.Revoke).Id;

        var due = await Flows.TakeDueRevocationsAsync(10, TimeSpan.Zero, default);
        Assert.Equal(new OwedRevocation(owedId, "rt-owed"), Assert.Single(due));
        var take = Body(_supabase.RequestsTo("POST", "/rest/v1/rpc/ringcentral_oauth_revocations_due").Single());
        Assert.Equal(10, (int?)take["p_limit"]);
        Assert.Equal(0, (int?)take["p_grace_seconds"]);

        await Flows.MarkRevokedAsync([owedId], default);
        Assert.Equal([owedId], Body(OnlyRequest("POST", "/rest/v1/rpc/ringcentral_oauth_revocations_done"))["p_ids"]!.AsArray().Select(n => (long)n!));
        Assert.Empty(_supabase.OwedRevocations());
    }

    [Fact]
    public async Task Owed_entries_without_an_id_or_a_token_are_skipped()
    {
        _supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute("ringcentral_oauth_revocations_due")),
            new Fault(200, """[{"id":1,"token":"rt-1"},{"id":"x","token":"rt-2"},{"id":3,"token":""},{"id":4},{"id":5,"token":"rt-5"}]"""));
        var due = await Flows.TakeDueRevocationsAsync(10, TimeSpan.Zero, default);
        Assert.Equal([new OwedRevocation(1, "rt-1"), new OwedRevocation(5, "rt-5")], due);
    }

    // ---- Failures: TokenStoreException with the short PostgREST code only, logged once ----

    private void InjectOnClaim(Fault fault) =>
        _supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute(PostgrestTokenStore.ClaimFunction)), fault);

    /// <summary>A claim fails as <see cref="TokenStoreException"/> with this status and code, and one warning names <paramref name="logged"/>; nothing quotes <see cref="Secret"/>.</summary>
    private async Task<TokenStoreException> ClaimFailsAsync(int status, string? code, string logged)
    {
        var ex = await Assert.ThrowsAsync<TokenStoreException>(() =>
            Flows.ClaimFlowAsync("flow-x", Guid.NewGuid(), Guid.NewGuid(), 10, TimeSpan.FromMinutes(10), default));
        Assert.Equal(status, ex.HttpStatus);
        Assert.Equal(code, ex.PostgrestCode);
        Assert.Equal("rpc/" + PostgrestTokenStore.ClaimFunction, ex.Table);
        Assert.DoesNotContain(Secret, ex.ToString());

        var record = Assert.Single(StoreFailures());
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains("PostgREST code: " + logged, record.Message);
        Assert.DoesNotContain(Logs.GetSnapshot(), r => r.Message.Contains(Secret, StringComparison.Ordinal));
        return ex;
    }

    [Fact]
    public async Task A_server_error_surfaces_its_status_and_short_code_but_never_its_message()
    {
        InjectOnClaim(new Fault(503, FakeSupabase.ErrorBody("XX000", "row value " + Secret)));
        await ClaimFailsAsync(503, "XX000", "XX000");
    }

    [Fact]
    public async Task A_code_that_is_not_short_and_alphanumeric_is_dropped()
    {
        InjectOnClaim(new Fault(500, FakeSupabase.ErrorBody("code " + Secret, "message")));
        await ClaimFailsAsync(500, null, "none");
    }

    [Fact]
    public async Task A_missing_migration_surfaces_as_PGRST202()
    {
        _supabase.MigrationApplied = false;
        await ClaimFailsAsync(404, "PGRST202", "PGRST202");
    }

    [Fact]
    public async Task A_wrong_service_key_surfaces_as_PGRST301()
    {
        _supabase.ServiceKey = FakeSupabase.NewSecretKey;
        await ClaimFailsAsync(401, "PGRST301", "PGRST301");
    }

    [Fact]
    public async Task A_success_whose_body_is_not_json_is_a_failure()
    {
        InjectOnClaim(new Fault(200, "<html>" + Secret + "</html>", "text/html"));
        await ClaimFailsAsync(200, null, "not-json");
    }

    [Theory]
    [InlineData("""{"result":"maybe"}""")]
    [InlineData("""{"outcome":"claimed"}""")]
    [InlineData("""["claimed"]""")]
    [InlineData("null")]
    public async Task An_answer_the_function_never_gives_is_a_failure(string answer)
    {
        InjectOnClaim(new Fault(200, answer));
        await ClaimFailsAsync(200, null, "unexpected-answer");
    }

    [Fact]
    public async Task An_unexpected_save_or_disconnect_answer_is_a_failure()
    {
        _supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute(PostgrestTokenStore.SaveFunction)), new Fault(200, """{"result":"saved"}"""));
        _supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute(PostgrestTokenStore.DisconnectFunction)), new Fault(200, """{"result":"gone"}"""));

        await Assert.ThrowsAsync<TokenStoreException>(() => SaveAsync(("flow-y", Guid.NewGuid(), Guid.NewGuid()), "rt-y"));
        await Assert.ThrowsAsync<TokenStoreException>(() => Flows.DisconnectAsync(Guid.NewGuid(), default));
        Assert.Equal(2, StoreFailures().Count);
        Assert.All(StoreFailures(), r => Assert.Contains("unexpected-answer", r.Message));
    }

    [Fact]
    public async Task No_answer_surfaces_without_a_status_and_is_logged_once()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var services = Build($"http://127.0.0.1:{closedPort}", FakeSupabase.LegacyServiceRoleKey);

        var ex = await Assert.ThrowsAsync<TokenStoreException>(() =>
            services.GetRequiredService<ITokenStore>().GetTokenSummaryAsync(Guid.NewGuid(), default));

        Assert.Null(ex.HttpStatus);
        Assert.Null(ex.PostgrestCode);
        Assert.Equal("select", ex.Operation);
        Assert.Equal(PostgrestTokenStore.TokensTable, ex.Table);
        var failures = services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Name == "StoreRequestFailed").ToList();
        Assert.Contains("no-response", Assert.Single(failures).Message);
    }
}
