using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// PostgREST failing the save (<c>ringcentral_oauth_save</c>, one transaction) after RingCentral issued new tokens: the
/// page gets <see cref="CallbackMessages.SaveFailed"/>, the rows are exactly as before (a refused transaction changes
/// nothing, so there is nothing to roll back), and the new tokens are revoked, so no orphaned credential remains.
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

    public static readonly string SaveRoute = FakeSupabase.Route("POST", FakeSupabase.RpcRoute("ringcentral_oauth_save"));

    /// <summary>Reconnects while the save fails; checks the page, the revocation and the bound.</summary>
    internal static async Task<ReconnectScenario> ReconnectWhileSaveFailsAsync(Fault fault, bool connectFirst = true)
    {
        var scenario = await ReconnectScenario.StartAsync(connectFirst);
        scenario.Host.Supabase.Inject(SaveRoute, fault);

        var (outcome, elapsed) = await scenario.ReconnectAsync();

        Assert.Equal("error", outcome.Status);
        Assert.Equal(CallbackMessages.SaveFailed, outcome.Message);
        Assert.InRange(elapsed, TimeSpan.Zero, ReconnectScenario.CallbackBound);
        var fresh = scenario.Host.RingCentral.Issued.Last();
        Assert.Equal(ReconnectScenario.SecondEmail, fresh.Email);
        Assert.Contains(fresh.RefreshToken, scenario.Host.RingCentral.Revoked);
        scenario.AssertNoOrphanedTokens();
        Assert.Single(scenario.LogsNamed("ConnectRolledBack"));
        Assert.Equal("store_failed", scenario.ConnectFailedLine()["Reason"]);
        return scenario;
    }

    [Theory]
    [InlineData(401)]
    [InlineData(409)]
    [InlineData(500)]
    public async Task A_failed_save_leaves_the_previous_connection_exactly_as_it_was_and_revokes_the_new_tokens(int status)
    {
        await using var scenario = await ReconnectWhileSaveFailsAsync(PostgrestFault(status));

        scenario.AssertRowsAsBefore();
    }

    [Fact]
    public async Task A_failed_save_for_a_first_time_user_leaves_no_row_at_all()
    {
        await using var scenario = await ReconnectWhileSaveFailsAsync(PostgrestFault(500), connectFirst: false);

        scenario.AssertNoRows();
    }

    [Fact]
    public async Task When_the_claim_fails_nothing_is_sent_to_ringcentral_and_nothing_is_written()
    {
        await using var scenario = await ReconnectScenario.StartAsync();
        var issuedBefore = scenario.Host.RingCentral.Issued.Count;
        scenario.Host.Supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute("ringcentral_oauth_claim")), PostgrestFault(500));

        var (outcome, _) = await scenario.ReconnectAsync();

        Assert.Equal(CallbackMessages.SaveFailed, outcome.Message);
        Assert.Equal(issuedBefore, scenario.Host.RingCentral.Issued.Count);
        scenario.AssertRowsAsBefore();
        scenario.AssertNoOrphanedTokens();
    }
}

/// <summary>A hanging save (about 6 s: the store's retry budget); its own class so it overlaps the other slow tests.</summary>
public sealed class SaveHangTests
{
    [Fact]
    public async Task A_hanging_save_answers_the_popup_within_the_bound_and_leaves_the_previous_connection()
    {
        await using var scenario = await StoreFaultTests.ReconnectWhileSaveFailsAsync(Fault.Hang);

        scenario.AssertRowsAsBefore();
        Assert.Single(scenario.LogsNamed("ConnectRollbackUncertain"));
    }
}
