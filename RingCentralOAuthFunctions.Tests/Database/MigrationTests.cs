using System.Text.Json.Nodes;
using Npgsql;

namespace RingCentralOAuthFunctions.Tests.Database;

/// <summary>
/// What only a real PostgreSQL can show: claims and saves from separate connections at the same moment, the grants
/// and RLS that keep anon and authenticated out, and the migrations applied again over themselves.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MigrationTests(PostgresFixture database)
{
    private readonly PostgresRpc _rpc = new(database);

    private static readonly string[] Functions =
    [
        "ringcentral_oauth_schema", "ringcentral_oauth_claim", "ringcentral_oauth_refuse", "ringcentral_oauth_fail", "ringcentral_oauth_save",
        "ringcentral_oauth_disconnect", "ringcentral_oauth_revocations_due", "ringcentral_oauth_revocations_done",
        "ringcentral_oauth_lock_user", "ringcentral_oauth_owe", "ringcentral_oauth_owed",
    ];

    private static readonly string[] Tables = ["ringcentral_oauth_flows", "ringcentral_oauth_users", "ringcentral_oauth_revocations"];

    [PostgresFact]
    public async Task Claims_of_one_flow_from_many_connections_at_the_same_moment_have_exactly_one_winner()
    {
        for (var round = 0; round < 10; round++)
        {
            var (user, flow) = (await database.NewUserAsync(), RpcScenarios.NewMarker());
            using var start = new Barrier(6);
            var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            {
                await using var connection = await database.OpenAsAsync("service_role");
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                return await CallOnAsync(connection, "ringcentral_oauth_claim", RpcScenarios.Claim(flow, user, Guid.NewGuid()));
            })));

            Assert.Equal(1, answers.Count(a => (string?)a["result"] == "claimed"));
            Assert.Equal(5, answers.Count(a => (string?)a["result"] == "used"));
        }
    }

    [PostgresFact]
    public async Task A_claim_waiting_behind_an_uncommitted_claim_of_the_same_flow_sees_it_once_committed()
    {
        var (user, flow) = (await database.NewUserAsync(), RpcScenarios.NewMarker());
        await using var first = await database.OpenAsAsync("service_role");
        await using var transaction = await first.BeginTransactionAsync();
        Assert.Equal("claimed", (string?)(await CallOnAsync(first, "ringcentral_oauth_claim", RpcScenarios.Claim(flow, user, Guid.NewGuid())))["result"]);

        var second = Task.Run(() => _rpc.CallAsync("ringcentral_oauth_claim", RpcScenarios.Claim(flow, user, Guid.NewGuid())));
        await Task.Delay(300);
        Assert.False(second.IsCompleted, "the second claim waits for the first transaction");
        await transaction.CommitAsync();

        Assert.Equal("used", (string?)(await second.WaitAsync(TimeSpan.FromSeconds(30)))["result"]);
    }

    [PostgresFact]
    public async Task A_claim_that_waited_for_another_flows_uncommitted_save_is_not_superseded_by_it()
    {
        var user = await database.NewUserAsync();
        var (first, firstClaim, second, secondClaim) = (RpcScenarios.NewMarker(), Guid.NewGuid(), RpcScenarios.NewMarker(), Guid.NewGuid());
        await _rpc.CallAsync("ringcentral_oauth_claim", RpcScenarios.Claim(first, user, firstClaim));
        await using var saving = await database.OpenAsAsync("service_role");
        await using var transaction = await saving.BeginTransactionAsync();
        Assert.Equal("connected", (string?)(await CallOnAsync(saving, "ringcentral_oauth_save", RpcScenarios.Save(first, user, firstClaim, "a@rc.test", "rt-a")))["result"]);

        // The second claim starts while the save holds the user's lock, and gets it only once the save committed.
        var claim = Task.Run(() => _rpc.CallAsync("ringcentral_oauth_claim", RpcScenarios.Claim(second, user, secondClaim)));
        await Task.Delay(300);
        Assert.False(claim.IsCompleted, "the claim waits for the save's transaction");
        await transaction.CommitAsync();
        Assert.Equal("claimed", (string?)(await claim.WaitAsync(TimeSpan.FromSeconds(30)))["result"]);

        var saved = await _rpc.CallAsync("ringcentral_oauth_save", RpcScenarios.Save(second, user, secondClaim, "b@rc.test", "rt-b"));
        Assert.Equal("connected", (string?)saved["result"]);
        Assert.Equal(["rt-a"], saved["revoke"]!.AsArray().Select(r => (string)r!["token"]!));
    }

    [PostgresFact]
    public async Task Two_flows_of_one_user_saving_at_the_same_moment_leave_one_stored_token_and_owe_every_other()
    {
        for (var round = 0; round < 5; round++)
        {
            var user = await database.NewUserAsync();
            await _rpc.SeedTokenRowAsync(user, "old@rc.test", "rt-old");
            var flows = Enumerable.Range(0, 3).Select(i => (Flow: RpcScenarios.NewMarker(), Claim: Guid.NewGuid(), Token: $"rt-{round}-{i}")).ToList();
            foreach (var f in flows) await _rpc.CallAsync("ringcentral_oauth_claim", RpcScenarios.Claim(f.Flow, user, f.Claim));
            using var start = new Barrier(flows.Count);
            var answers = await Task.WhenAll(flows.Select(f => Task.Run(async () =>
            {
                await using var connection = await database.OpenAsAsync("service_role");
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                return await CallOnAsync(connection, "ringcentral_oauth_save", RpcScenarios.Save(f.Flow, user, f.Claim, f.Token + "@rc.test", f.Token));
            })));

            var stored = (string)(await _rpc.TokenRowAsync(user))!["refresh_token"]!;
            var winner = Assert.Single(answers, a => (string?)a["result"] == "connected");
            Assert.Equal(["rt-old"], winner["revoke"]!.AsArray().Select(r => (string)r!["token"]!));
            var owed = answers.Where(a => a != winner).SelectMany(a => a["revoke"]!.AsArray().Select(r => (string)r!["token"]!)).ToList();
            // Every issued token but the stored one is owed a revocation, exactly once.
            Assert.Equal(flows.Select(f => f.Token).Where(t => t != stored).Order(), owed.Order());
        }
    }

    [PostgresFact]
    public async Task A_save_and_a_disconnect_at_the_same_moment_never_leave_an_owed_token_stored()
    {
        for (var round = 0; round < 5; round++)
        {
            var user = await database.NewUserAsync();
            await _rpc.SeedTokenRowAsync(user, "old@rc.test", "rt-old");
            var (flow, claim) = (RpcScenarios.NewMarker(), Guid.NewGuid());
            await _rpc.CallAsync("ringcentral_oauth_claim", RpcScenarios.Claim(flow, user, claim));
            using var start = new Barrier(2);
            var save = Task.Run(async () =>
            {
                await using var connection = await database.OpenAsAsync("service_role");
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                return await CallOnAsync(connection, "ringcentral_oauth_save", RpcScenarios.Save(flow, user, claim, "a@rc.test", "rt-new"));
            });
            var disconnect = Task.Run(async () =>
            {
                await using var connection = await database.OpenAsAsync("service_role");
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                return await CallOnAsync(connection, "ringcentral_oauth_disconnect", new JsonObject { ["p_user_id"] = user.ToString() });
            });
            var (saved, disconnected) = (await save, await disconnect);

            // Whichever ran first, the disconnect wins: no row, and both tokens owed.
            Assert.Null(await _rpc.TokenRowAsync(user));
            Assert.Null(await _rpc.ConnectionRowAsync(user));
            var owed = saved["revoke"]!.AsArray().Concat(disconnected["revoke"]!.AsArray()).Select(r => (string)r!["token"]!).Order().ToList();
            Assert.Equal(["rt-new", "rt-old"], owed);
        }
    }

    [PostgresTheory]
    [InlineData("anon")]
    [InlineData("authenticated")]
    public async Task Anon_and_authenticated_can_neither_call_the_functions_nor_read_or_write_the_tables(string role)
    {
        var user = await database.NewUserAsync();
        await using (var owner = await database.OpenAsync())
            foreach (var function in Functions)
                Assert.False(await ScalarAsync<bool>(owner,
                    $"select bool_or(has_function_privilege('{role}', p.oid, 'execute')) from pg_proc p where p.proname = '{function}' and p.pronamespace = 'public'::regnamespace"),
                    $"{role} may execute {function}");

        // And the calls themselves are refused, with the arguments the service sends.
        var calls = new (string Function, JsonObject Args)[]
        {
            ("ringcentral_oauth_schema", []),
            ("ringcentral_oauth_claim", RpcScenarios.Claim(RpcScenarios.NewMarker(), user, Guid.NewGuid())),
            ("ringcentral_oauth_save", RpcScenarios.Save(RpcScenarios.NewMarker(), user, Guid.NewGuid(), "a@rc.test", "rt-a")),
            ("ringcentral_oauth_disconnect", new JsonObject { ["p_user_id"] = user.ToString() }),
            ("ringcentral_oauth_revocations_due", new JsonObject { ["p_limit"] = 10, ["p_grace_seconds"] = 0 }),
        };
        foreach (var (function, args) in calls)
        {
            await using var connection = await database.OpenAsAsync(role, user);
            var error = await Assert.ThrowsAsync<PostgresException>(() => CallOnAsync(connection, function, args));
            Assert.True(error.SqlState == "42501", function + ": " + error.SqlState);
        }

        foreach (var table in Tables)
        {
            await using var connection = await database.OpenAsAsync(role, user);
            var read = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(connection, $"select * from public.{table}"));
            Assert.Equal("42501", read.SqlState);
            await using var again = await database.OpenAsAsync(role, user);
            var delete = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(again, $"delete from public.{table}"));
            Assert.Equal("42501", delete.SqlState);
        }
    }

    [PostgresFact]
    public async Task The_service_role_may_call_the_functions_and_the_tables_have_row_level_security_on()
    {
        await using var service = await database.OpenAsAsync("service_role");
        Assert.Equal("claimed", (string?)(await CallOnAsync(service, "ringcentral_oauth_claim",
            RpcScenarios.Claim(RpcScenarios.NewMarker(), await database.NewUserAsync(), Guid.NewGuid())))["result"]);

        await using var owner = await database.OpenAsync();
        foreach (var table in Tables)
            Assert.True(await ScalarAsync<bool>(owner, $"select relrowsecurity from pg_class where oid = 'public.{table}'::regclass"), table);
        Assert.False(await ScalarAsync<bool>(owner,
            "select exists (select 1 from pg_proc p where p.proname like 'ringcentral\\_oauth\\_%' and p.pronamespace = 'public'::regnamespace and not p.prosecdef)"),
            "every function is security definer");
        Assert.False(await ScalarAsync<bool>(owner,
            "select exists (select 1 from pg_proc p where p.proname like 'ringcentral\\_oauth\\_%' and p.pronamespace = 'public'::regnamespace and not coalesce(p.proconfig::text like '%search_path%', false))"),
            "every function sets its search_path");
    }

    [PostgresFact]
    public async Task A_signed_in_user_still_reads_only_his_own_token_row_and_none_of_the_flows()
    {
        var (ann, bob) = (await database.NewUserAsync(), await database.NewUserAsync());
        await _rpc.SeedTokenRowAsync(ann, "ann@rc.test", "rt-ann");
        await _rpc.SeedTokenRowAsync(bob, "bob@rc.test", "rt-bob");
        await using var asAnn = await database.OpenAsAsync("authenticated", ann);
        Assert.Equal(1L, await ScalarAsync<long>(asAnn, "select count(*) from public.user_ringcentral_tokens"));
        Assert.Equal("ann@rc.test", await ScalarAsync<string>(asAnn, "select rc_email from public.user_ringcentral_tokens"));
    }

    [PostgresFact]
    public async Task The_migrations_apply_again_over_a_database_that_has_them_and_keep_its_rows()
    {
        var (user, flow, claim) = (await database.NewUserAsync(), RpcScenarios.NewMarker(), Guid.NewGuid());
        await _rpc.CallAsync("ringcentral_oauth_claim", RpcScenarios.Claim(flow, user, claim));

        foreach (var file in Directory.GetFiles(PostgresFixture.MigrationsDirectory, "*.sql").Order(StringComparer.Ordinal))
            await database.ExecuteFileAsync(file);

        Assert.Equal("connected", (string?)(await _rpc.CallAsync("ringcentral_oauth_save", RpcScenarios.Save(flow, user, claim, "a@rc.test", "rt-a")))["result"]);
        await using var anon = await database.OpenAsAsync("anon");
        Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(anon, "select * from public.ringcentral_oauth_flows"))).SqlState);
        Assert.Equal(database.Migrations[^1], (string?)(await _rpc.CallAsync("ringcentral_oauth_schema", []))["migration"]);
    }

    private static async Task<JsonNode> CallOnAsync(NpgsqlConnection connection, string function, JsonObject args)
    {
        // The same call PostgresRpc makes, on a connection the test holds (to run several at once or inside a transaction).
        var names = string.Join(", ", args.Select(a => $"{a.Key} => cast(@{a.Key} as {TypeOf(a.Key)})"));
        await using var command = new NpgsqlCommand($"select public.{function}({names})::text", connection);
        foreach (var (name, value) in args)
        {
            var text = value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString();
            command.Parameters.AddWithValue(name, (object?)text ?? DBNull.Value);
        }

        return JsonNode.Parse((string)(await command.ExecuteScalarAsync())!)!;
    }

    private static string TypeOf(string argument) => argument switch
    {
        "p_user_id" or "p_claim_id" => "uuid",
        "p_max_claims" or "p_window_seconds" or "p_limit" or "p_grace_seconds" => "integer",
        "p_token_expires_at" => "timestamptz",
        "p_ids" => "jsonb",
        _ => "text",
    };

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
