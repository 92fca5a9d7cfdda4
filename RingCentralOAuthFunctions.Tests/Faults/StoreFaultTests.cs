using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;

namespace RingCentralOAuthFunctions.Tests.Faults;

/// <summary>
/// PostgREST failing on one of the two upserts after RingCentral issued new tokens: the page gets
/// <see cref="CallbackMessages.SaveFailed"/>, the other table is put back as it was, and the new tokens are revoked,
/// so neither a half-saved connection nor an orphaned credential remains.
/// </summary>
public sealed class StoreFaultTests
{
    public static Fault PostgrestFault(int status) => status switch
    {
        401 => new Fault(401, FakeSupabase.ErrorBody("PGRST301", "JWT expired")),
        409 => new Fault(409, FakeSupabase.ErrorBody("23505", "duplicate key value violates unique constraint")),
        500 => new Fault(500, FakeSupabase.ErrorBody("XX000", "internal error")),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>
    /// Reconnects while the write to <paramref name="table"/> fails (the token row is inserted for a first-time user and
    /// updated at the version read otherwise); checks the page, the revocation and the bound.
    /// </summary>
    internal static async Task<ReconnectScenario> ReconnectWhileUpsertFailsAsync(string table, Fault fault, bool connectFirst = true)
    {
        var scenario = await ReconnectScenario.StartAsync(connectFirst);
        var method = table == FakeSupabase.TokensTable && connectFirst ? "PATCH" : "POST";
        scenario.Host.Supabase.Inject(FakeSupabase.Route(method, table), fault);

        var (outcome, elapsed) = await scenario.ReconnectAsync();

        Assert.Equal("error", outcome.Status);
        Assert.Equal(CallbackMessages.SaveFailed, outcome.Message);
        Assert.InRange(elapsed, TimeSpan.Zero, ReconnectScenario.CallbackBound);
        var fresh = scenario.Host.RingCentral.Issued.Last();
        Assert.Equal(ReconnectScenario.SecondEmail, fresh.Email);
        Assert.Contains(fresh.RefreshToken, scenario.Host.RingCentral.Revoked);
        scenario.AssertNoOrphanedTokens();
        Assert.Single(scenario.LogsNamed("ConnectRolledBack"));
        Assert.Empty(scenario.LogsNamed("ConnectRollbackFailed"));
        Assert.Equal("store_failed", scenario.ConnectFailedLine()["Reason"]);
        return scenario;
    }

    [Theory]
    [InlineData(FakeSupabase.TokensTable, 401)]
    [InlineData(FakeSupabase.TokensTable, 409)]
    [InlineData(FakeSupabase.TokensTable, 500)]
    [InlineData(FakeSupabase.ConnectionsTable, 401)]
    [InlineData(FakeSupabase.ConnectionsTable, 409)]
    [InlineData(FakeSupabase.ConnectionsTable, 500)]
    public async Task A_failed_upsert_leaves_the_previous_connection_exactly_as_it_was_and_revokes_the_new_tokens(string table, int status)
    {
        await using var scenario = await ReconnectWhileUpsertFailsAsync(table, PostgrestFault(status));

        scenario.AssertRowsAsBefore();
    }

    [Theory]
    [InlineData(FakeSupabase.TokensTable)]
    [InlineData(FakeSupabase.ConnectionsTable)]
    public async Task A_failed_upsert_for_a_first_time_user_leaves_no_row_at_all(string table)
    {
        await using var scenario = await ReconnectWhileUpsertFailsAsync(table, PostgrestFault(500), connectFirst: false);

        scenario.AssertNoRows();
    }

    [Fact]
    public async Task When_reading_the_previous_rows_fails_nothing_is_written_and_the_new_tokens_are_revoked()
    {
        await using var scenario = await ReconnectScenario.StartAsync();
        var upsertsBefore = scenario.Host.Supabase.RequestsTo("POST", "/rest/v1/").Count();
        scenario.Host.Supabase.Inject(FakeSupabase.Route("GET", FakeSupabase.TokensTable), PostgrestFault(500));

        var (outcome, _) = await scenario.ReconnectAsync();

        Assert.Equal(CallbackMessages.SaveFailed, outcome.Message);
        Assert.Equal(upsertsBefore, scenario.Host.Supabase.RequestsTo("POST", "/rest/v1/").Count());
        Assert.Contains(scenario.Host.RingCentral.Issued.Last().RefreshToken, scenario.Host.RingCentral.Revoked);
        scenario.AssertRowsAsBefore();
        scenario.AssertNoOrphanedTokens();
    }

    [Fact]
    public async Task When_the_rollback_itself_fails_the_saved_tokens_are_kept_valid_and_a_critical_line_names_the_table()
    {
        // First-time user: the token row lands, the connection row fails, and deleting the token row fails too.
        await using var scenario = await ReconnectScenario.StartAsync(connectFirst: false);
        scenario.Host.Supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.ConnectionsTable), PostgrestFault(500));
        scenario.Host.Supabase.Inject(FakeSupabase.Route("DELETE", FakeSupabase.TokensTable), PostgrestFault(500));

        var (outcome, _) = await scenario.ReconnectAsync();

        Assert.Equal(CallbackMessages.SaveFailed, outcome.Message);
        var stored = scenario.Host.Supabase.Row(FakeSupabase.TokensTable, scenario.User);
        Assert.Equal(scenario.Host.RingCentral.Issued.Last().RefreshToken, (string?)stored!["refresh_token"]);
        Assert.Empty(scenario.Host.RingCentral.Revoked); // revoking would break the row that holds them
        var critical = Assert.Single(scenario.LogsNamed("ConnectRollbackFailed"));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Critical, critical.Level);
        Assert.Contains("user_ringcentral_tokens", critical.Message);
        scenario.AssertNoOrphanedTokens();
    }
}

/// <summary>A hanging token upsert (about 6 s: the store's retry budget); its own class so it overlaps the other slow tests.</summary>
public sealed class TokensUpsertHangTests
{
    [Fact]
    public async Task A_hanging_token_upsert_answers_the_popup_within_the_bound_and_leaves_the_previous_connection()
    {
        await using var scenario = await StoreFaultTests.ReconnectWhileUpsertFailsAsync(FakeSupabase.TokensTable, Fault.Hang);

        scenario.AssertRowsAsBefore();
    }
}

/// <summary>A hanging connection upsert (about 6 s); its own class so it overlaps the other slow tests.</summary>
public sealed class ConnectionUpsertHangTests
{
    [Fact]
    public async Task A_hanging_connection_upsert_answers_the_popup_within_the_bound_and_leaves_the_previous_connection()
    {
        await using var scenario = await StoreFaultTests.ReconnectWhileUpsertFailsAsync(FakeSupabase.ConnectionsTable, Fault.Hang);

        scenario.AssertRowsAsBefore();
    }
}
