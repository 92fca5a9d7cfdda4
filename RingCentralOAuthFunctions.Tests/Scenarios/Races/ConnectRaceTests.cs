using System.Net;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Races;

/// <summary>
/// Two flows of one user, or a flow and a Disconnect, at once (issue 10, item 2; issue 18). Each test forces one
/// interleaving by holding the database calls, then checks the invariant: exactly one valid refresh token, the one the
/// token row holds; every other token revoked. The database decides who wins (Database/MigrationTests shows the same
/// with real concurrent transactions).
/// </summary>
public sealed class ConnectRaceTests
{
    private const string A = "a@race.test", B = "b@race.test";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_connects_claimed_before_either_saved_leave_one_valid_token_and_the_row_holds_it(bool connectedBefore)
    {
        await using var s = await RaceScenario.StartAsync(connectedBefore);
        var (saveA, saveB) = (s.HoldSaveOf(A), s.HoldSaveOf(B));
        var flowA = s.ConnectAsync(A);
        var flowB = s.ConnectAsync(B);

        // Both flows claimed and exchanged before either saves.
        await Task.WhenAll(saveA.Arrived, saveB.Arrived).Bounded();
        saveA.Release();
        var first = await flowA.Bounded();
        saveB.Release();
        var second = await flowB.Bounded();

        Assert.True(first.Succeeded);
        Assert.False(second.Succeeded);
        Assert.Equal("superseded", second.Reason);
        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        Assert.Equal(A, s.StoredLabel);
        Assert.Contains(s.RefreshTokenOf(B), s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Single(s.LogsNamed("ConnectSuperseded"));
    }

    [Fact]
    public async Task A_connect_whose_save_is_refused_after_another_connect_succeeded_leaves_the_other_connection_valid()
    {
        await using var s = await RaceScenario.StartAsync();
        var saveA = s.HoldSaveOf(A).FailWith(401, "PGRST301");
        var flowA = s.ConnectAsync(A);
        await saveA.Arrived.Bounded();

        Assert.True((await s.ConnectAsync(B).Bounded()).Succeeded);
        saveA.Release();
        Assert.False((await flowA.Bounded()).Succeeded);

        Assert.Equal(s.RefreshTokenOf(B), s.StoredRefreshToken);
        Assert.Equal(B, s.StoredLabel);
        Assert.Contains(s.RefreshTokenOf(A), s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_connect_whose_save_is_refused_while_another_waits_changes_nothing_and_the_other_then_connects()
    {
        await using var s = await RaceScenario.StartAsync();
        var saveA = s.HoldSaveOf(A).FailWith(401, "PGRST301");
        var saveB = s.HoldSaveOf(B);
        var flowA = s.ConnectAsync(A);
        var flowB = s.ConnectAsync(B);
        await Task.WhenAll(saveA.Arrived, saveB.Arrived).Bounded();

        saveA.Release();
        Assert.False((await flowA.Bounded()).Succeeded); // refused: nothing written, the first connection is intact
        Assert.Equal(s.RefreshTokenOf(RaceScenario.FirstEmail), s.StoredRefreshToken);
        Assert.Equal(RaceScenario.FirstEmail, s.StoredLabel);

        saveB.Release();
        Assert.True((await flowB.Bounded()).Succeeded); // nothing changed since B claimed: B's save stands
        Assert.Equal(s.RefreshTokenOf(B), s.StoredRefreshToken);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_connect_that_saves_while_a_disconnect_waits_is_then_deleted_and_its_token_revoked()
    {
        await using var s = await RaceScenario.StartAsync();
        var disconnectCall = s.Host.Supabase.Hold("POST", RaceScenario.DisconnectRoute);
        var disconnect = s.DisconnectAsync();
        await disconnectCall.Arrived.Bounded();

        Assert.True((await s.ConnectAsync(A).Bounded()).Succeeded);
        disconnectCall.Release();

        Assert.Equal(HttpStatusCode.OK, await disconnect.Bounded());
        Assert.Null(s.StoredRefreshToken);
        Assert.Null(s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User));
        Assert.Contains(s.RefreshTokenOf(A), s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_connect_that_claimed_before_a_disconnect_loses_its_save_and_revokes_its_own_tokens()
    {
        await using var s = await RaceScenario.StartAsync();
        var saveA = s.HoldSaveOf(A);
        var flowA = s.ConnectAsync(A);
        await saveA.Arrived.Bounded();

        Assert.Equal(HttpStatusCode.OK, await s.DisconnectAsync().Bounded());
        saveA.Release();

        var result = await flowA.Bounded();
        Assert.False(result.Succeeded);
        Assert.Equal("superseded", result.Reason);
        Assert.Null(s.StoredRefreshToken);
        Assert.Null(s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User));
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }
}
