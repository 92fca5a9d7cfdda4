using System.Text.Json.Nodes;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Database;

/// <summary>The shared scenario table on the real functions (PostgreSQL 15 with the ERP's schema and the migrations).</summary>
[Collection(PostgresCollection.Name)]
public sealed class RpcScenariosOnPostgres(PostgresFixture database)
{
    [PostgresTheory]
    [MemberData(nameof(RpcScenarios.Names), MemberType = typeof(RpcScenarios))]
    public Task Scenario(string name) => RpcScenarios.RunAsync(name, new PostgresRpc(database));
}

/// <summary>The same scenario table on the fake Supabase, so the fake behaves as the migration does.</summary>
public sealed class RpcScenariosOnFake : IAsyncLifetime
{
    private FakeSupabase _supabase = null!;
    public async Task InitializeAsync() => _supabase = await FakeSupabase.StartNewAsync();
    public async Task DisposeAsync() => await _supabase.DisposeAsync();

    [Theory]
    [MemberData(nameof(RpcScenarios.Names), MemberType = typeof(RpcScenarios))]
    public Task Scenario(string name) => RpcScenarios.RunAsync(name, new FakeRpc(_supabase));
}

/// <summary>
/// What the migration's functions promise, as cases that run unchanged against PostgreSQL and against the fake.
/// Each case uses fresh users and flow markers, so cases do not see each other's rows.
/// </summary>
public static class RpcScenarios
{
    private const int Limit = 10, Window = 60;

    private static readonly Dictionary<string, Func<IRpcTarget, Task>> Cases = new()
    {
        ["the first claim wins and any other claim of the flow is used"] = async db =>
        {
            var (user, flow) = (await db.NewUserAsync(), NewMarker());
            var claim = Guid.NewGuid();
            Assert.Equal("claimed", await ResultOf(db, Claim(flow, user, claim)));
            Assert.Equal("claimed", await ResultOf(db, Claim(flow, user, claim))); // the same caller asking again (a lost answer)
            var other = await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, Guid.NewGuid()));
            Assert.Equal("used", (string?)other["result"]);
            Assert.Equal("claimed", (string?)other["outcome"]);
        },
        ["a saved flow claimed again answers connected with its label while it is the stored connection"] = async db =>
        {
            var (user, flow, claim) = (await db.NewUserAsync(), NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, claim));
            Assert.Equal("connected", await ResultOf(db, Save(flow, user, claim, "ann@rc.test", "rt-1")));

            var again = await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, Guid.NewGuid()));
            Assert.Equal("connected", (string?)again["result"]);
            Assert.Equal("ann@rc.test", (string?)again["label"]);

            await db.SetConnectionStatusAsync(user, "error", "Token expired — please reconnect"); // the ERP's sync job
            Assert.Equal("used", await ResultOf(db, Claim(flow, user, Guid.NewGuid())));
        },
        ["a save writes both rows as the ERP's functions read them"] = async db =>
        {
            var (user, flow, claim) = (await db.NewUserAsync(), NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, claim));
            var expires = DateTimeOffset.UtcNow.AddHours(1);
            var saved = await db.CallAsync("ringcentral_oauth_save", Save(flow, user, claim, "ann@rc.test", "rt-1", expires));
            Assert.Equal("connected", (string?)saved["result"]);
            Assert.Empty(saved["revoke"]!.AsArray());

            var tokens = (await db.TokenRowAsync(user))!;
            Assert.Equal("ann@rc.test", (string?)tokens["rc_email"]);
            Assert.Equal("rt-1", (string?)tokens["refresh_token"]);
            Assert.Equal("at-rt-1", (string?)tokens["access_token"]);
            Assert.Null(tokens["code_verifier"]);
            Assert.InRange(DateTimeOffset.Parse((string)tokens["token_expires_at"]!) - expires, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1));
            var connection = (await db.ConnectionRowAsync(user))!;
            Assert.Equal("connected", (string?)connection["status"]);
            Assert.Null(connection["error_message"]);
            Assert.NotNull(connection["last_sync_at"]);
            Assert.NotNull(connection["last_checked_at"]);
            Assert.Equal(Canonical(new JsonObject { ["rc_email"] = "ann@rc.test", ["flow"] = flow }), Canonical(connection["config"]));
        },
        ["a reconnect owes the displaced refresh token, never a shared jwt credential"] = async db =>
        {
            var user = await db.NewUserAsync();
            await db.SeedTokenRowAsync(user, "old@rc.test", "rt-old");
            var (flow, claim) = (NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, claim));
            var saved = await db.CallAsync("ringcentral_oauth_save", Save(flow, user, claim, "new@rc.test", "rt-new"));
            Assert.Equal("connected", (string?)saved["result"]);
            Assert.Equal(["rt-old"], Tokens(saved));

            var jwtUser = await db.NewUserAsync();
            await db.SeedTokenRowAsync(jwtUser, "shared@rc.test", "jwt:shared-credential");
            var (jwtFlow, jwtClaim) = (NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(jwtFlow, jwtUser, jwtClaim));
            var overJwt = await db.CallAsync("ringcentral_oauth_save", Save(jwtFlow, jwtUser, jwtClaim, "own@rc.test", "rt-own"));
            Assert.Equal("connected", (string?)overJwt["result"]);
            Assert.Empty(Tokens(overJwt));
        },
        ["a flow that claimed before another flow of the user saved loses and owes its own token"] = async db =>
        {
            var user = await db.NewUserAsync();
            var (first, firstClaim, second, secondClaim) = (NewMarker(), Guid.NewGuid(), NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(first, user, firstClaim));
            await db.CallAsync("ringcentral_oauth_claim", Claim(second, user, secondClaim));
            Assert.Equal("connected", await ResultOf(db, Save(second, user, secondClaim, "b@rc.test", "rt-b")));

            var lost = await db.CallAsync("ringcentral_oauth_save", Save(first, user, firstClaim, "a@rc.test", "rt-a"));
            Assert.Equal("superseded", (string?)lost["result"]);
            Assert.Equal(["rt-a"], Tokens(lost));
            Assert.Equal("rt-b", (string?)(await db.TokenRowAsync(user))!["refresh_token"]);
            Assert.Equal("b@rc.test", (string?)(await db.ConnectionRowAsync(user))!["config"]!["rc_email"]);
            Assert.Equal("used", await ResultOf(db, Claim(first, user, Guid.NewGuid())));
        },
        ["a flow claimed before a disconnect loses its save and the disconnect owes the stored token"] = async db =>
        {
            var user = await db.NewUserAsync();
            await db.SeedTokenRowAsync(user, "old@rc.test", "rt-old");
            await db.SeedConnectionRowAsync(user, "connected", new JsonObject { ["rc_email"] = "old@rc.test" });
            var (flow, claim) = (NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, claim));

            var disconnected = await db.CallAsync("ringcentral_oauth_disconnect", new JsonObject { ["p_user_id"] = user.ToString() });
            Assert.Equal(true, (bool?)disconnected["had_connection"]);
            Assert.Equal(["rt-old"], Tokens(disconnected));
            Assert.Null(await db.TokenRowAsync(user));
            Assert.Null(await db.ConnectionRowAsync(user));

            var lost = await db.CallAsync("ringcentral_oauth_save", Save(flow, user, claim, "a@rc.test", "rt-a"));
            Assert.Equal("superseded", (string?)lost["result"]);
            Assert.Equal(["rt-a"], Tokens(lost));
            Assert.Null(await db.TokenRowAsync(user));

            var again = await db.CallAsync("ringcentral_oauth_disconnect", new JsonObject { ["p_user_id"] = user.ToString() });
            Assert.Equal(false, (bool?)again["had_connection"]);
            Assert.Empty(Tokens(again));
        },
        ["a flow claimed after a disconnect saves"] = async db =>
        {
            var user = await db.NewUserAsync();
            await db.CallAsync("ringcentral_oauth_disconnect", new JsonObject { ["p_user_id"] = user.ToString() });
            var (flow, claim) = (NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, claim));
            Assert.Equal("connected", await ResultOf(db, Save(flow, user, claim, "a@rc.test", "rt-a")));
        },
        ["a save without this caller's claim writes nothing and owes its token"] = async db =>
        {
            var user = await db.NewUserAsync();
            var flow = NewMarker();
            var unclaimed = await db.CallAsync("ringcentral_oauth_save", Save(flow, user, Guid.NewGuid(), "a@rc.test", "rt-a"));
            Assert.Equal("not_claimed", (string?)unclaimed["result"]);
            Assert.Equal(["rt-a"], Tokens(unclaimed));

            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, Guid.NewGuid()));
            var otherClaim = await db.CallAsync("ringcentral_oauth_save", Save(flow, user, Guid.NewGuid(), "b@rc.test", "rt-b"));
            Assert.Equal("not_claimed", (string?)otherClaim["result"]);
            Assert.Null(await db.TokenRowAsync(user));
        },
        ["a save asked again gets the same answer and writes nothing more"] = async db =>
        {
            var user = await db.NewUserAsync();
            await db.SeedTokenRowAsync(user, "old@rc.test", "rt-old");
            var (flow, claim) = (NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, claim));
            var first = await db.CallAsync("ringcentral_oauth_save", Save(flow, user, claim, "a@rc.test", "rt-a"));
            var again = await db.CallAsync("ringcentral_oauth_save", Save(flow, user, claim, "a@rc.test", "rt-a"));
            Assert.Equal("connected", (string?)again["result"]);
            Assert.Equal(Canonical(first["revoke"]), Canonical(again["revoke"]));
            Assert.Equal("rt-a", (string?)(await db.TokenRowAsync(user))!["refresh_token"]);
        },
        ["a refused flow is dead for everyone"] = async db =>
        {
            var user = await db.NewUserAsync();
            var flow = NewMarker();
            Assert.Equal("refused", await ResultOf(db, new JsonObject { ["p_flow_marker"] = flow, ["p_user_id"] = user.ToString() }, "ringcentral_oauth_refuse"));
            var claim = await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, Guid.NewGuid()));
            Assert.Equal("used", (string?)claim["result"]);
            Assert.Equal("refused", (string?)claim["outcome"]);

            // A flow already claimed keeps its outcome.
            var (claimed, claimId) = (NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(claimed, user, claimId));
            Assert.Equal("known", await ResultOf(db, new JsonObject { ["p_flow_marker"] = claimed, ["p_user_id"] = user.ToString() }, "ringcentral_oauth_refuse"));
            Assert.Equal("connected", await ResultOf(db, Save(claimed, user, claimId, "a@rc.test", "rt-a")));
        },
        ["a failed flow is used"] = async db =>
        {
            var (user, flow, claim) = (await db.NewUserAsync(), NewMarker(), Guid.NewGuid());
            await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, claim));
            var args = new JsonObject { ["p_flow_marker"] = flow, ["p_user_id"] = user.ToString(), ["p_claim_id"] = claim.ToString() };
            Assert.Equal("failed", await ResultOf(db, args, "ringcentral_oauth_fail"));
            Assert.Equal("unchanged", await ResultOf(db, args, "ringcentral_oauth_fail"));
            Assert.Equal("used", await ResultOf(db, Claim(flow, user, Guid.NewGuid())));
            Assert.Equal("not_claimed", await ResultOf(db, Save(flow, user, claim, "a@rc.test", "rt-a")));
        },
        ["past the per-user limit a claim is rate limited with a retry-after, other users are not"] = async db =>
        {
            var (user, other) = (await db.NewUserAsync(), await db.NewUserAsync());
            for (var i = 0; i < Limit; i++) Assert.Equal("claimed", await ResultOf(db, Claim(NewMarker(), user, Guid.NewGuid())));
            var limited = await db.CallAsync("ringcentral_oauth_claim", Claim(NewMarker(), user, Guid.NewGuid()));
            Assert.Equal("rate_limited", (string?)limited["result"]);
            Assert.InRange((int)limited["retry_after"]!, 1, Window);
            Assert.Equal("claimed", await ResultOf(db, Claim(NewMarker(), other, Guid.NewGuid())));
        },
        ["a flow the service completed before the migration is recognised from the connection row"] = async db =>
        {
            var (user, flow) = (await db.NewUserAsync(), NewMarker());
            await db.SeedTokenRowAsync(user, "old@rc.test", "rt-old");
            await db.SeedConnectionRowAsync(user, "connected", new JsonObject { ["rc_email"] = "old@rc.test", ["flow"] = flow });
            var claim = await db.CallAsync("ringcentral_oauth_claim", Claim(flow, user, Guid.NewGuid()));
            Assert.Equal("connected", (string?)claim["result"]);
            Assert.Equal("old@rc.test", (string?)claim["label"]);
        },
        ["owed revocations are due after their grace, taken once, and gone when done"] = async db =>
        {
            var user = await db.NewUserAsync();
            await db.SeedTokenRowAsync(user, "old@rc.test", "rt-owed-" + Guid.NewGuid().ToString("N"));
            var disconnected = await db.CallAsync("ringcentral_oauth_disconnect", new JsonObject { ["p_user_id"] = user.ToString() });
            var owed = disconnected["revoke"]!.AsArray().Single()!;
            var id = (long)owed["id"]!;

            var notYet = await db.CallAsync("ringcentral_oauth_revocations_due", new JsonObject { ["p_limit"] = 1000, ["p_grace_seconds"] = 3600 });
            Assert.DoesNotContain(id, Ids(notYet));
            var due = await db.CallAsync("ringcentral_oauth_revocations_due", new JsonObject { ["p_limit"] = 1000, ["p_grace_seconds"] = 0 });
            Assert.Contains(id, Ids(due));
            Assert.Equal((string?)owed["token"], (string?)due.AsArray().Single(d => (long)d!["id"]! == id)!["token"]);
            var taken = await db.CallAsync("ringcentral_oauth_revocations_due", new JsonObject { ["p_limit"] = 1000, ["p_grace_seconds"] = 0 });
            Assert.DoesNotContain(id, Ids(taken)); // pushed back: another instance does not take it at the same time

            var done = await db.CallAsync("ringcentral_oauth_revocations_done", new JsonObject { ["p_ids"] = new JsonArray(id) });
            Assert.Equal(1, (int)done["done"]!);
            var doneAgain = await db.CallAsync("ringcentral_oauth_revocations_done", new JsonObject { ["p_ids"] = new JsonArray(id) });
            Assert.Equal(0, (int)doneAgain["done"]!);
        },
        ["the schema function names the migration"] = async db =>
        {
            var schema = await db.CallAsync("ringcentral_oauth_schema", []);
            Assert.Equal(FakeSupabase.Migration, (string?)schema["migration"]);
        },
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    public static Task RunAsync(string name, IRpcTarget target) => Cases[name](target);

    public static string NewMarker() => Convert.ToBase64String(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray())
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static JsonObject Claim(string flow, Guid user, Guid claim) => new()
    {
        ["p_flow_marker"] = flow, ["p_user_id"] = user.ToString(), ["p_claim_id"] = claim.ToString(),
        ["p_max_claims"] = Limit, ["p_window_seconds"] = Window,
    };

    public static JsonObject Save(string flow, Guid user, Guid claim, string email, string refreshToken, DateTimeOffset? expires = null) => new()
    {
        ["p_flow_marker"] = flow, ["p_user_id"] = user.ToString(), ["p_claim_id"] = claim.ToString(), ["p_rc_email"] = email,
        ["p_refresh_token"] = refreshToken, ["p_access_token"] = "at-" + refreshToken,
        ["p_token_expires_at"] = (expires ?? DateTimeOffset.UtcNow.AddHours(1)).ToString("O"),
    };

    private static async Task<string?> ResultOf(IRpcTarget db, JsonObject args, string function = "") =>
        (string?)(await db.CallAsync(function.Length > 0 ? function : args.ContainsKey("p_refresh_token") ? "ringcentral_oauth_save" : "ringcentral_oauth_claim", args))["result"];

    private static List<string> Tokens(JsonNode answer) => answer["revoke"]!.AsArray().Select(r => (string)r!["token"]!).ToList();

    private static List<long> Ids(JsonNode answer) => answer.AsArray().Select(r => (long)r!["id"]!).ToList();

    /// <summary>A JSON value with its object keys sorted (jsonb does not keep the order of keys).</summary>
    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"\"{p.Key}\":{Canonical(p.Value)}")) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };
}
