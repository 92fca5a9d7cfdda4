using System.Net;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Races;

/// <summary>
/// Two flows of one user at once (issue 10, item 2). Each test forces one interleaving with request holds, then checks
/// the invariant: exactly one valid refresh token, the one the token row holds; every other token revoked.
/// </summary>
public sealed class ConnectRaceTests
{
    private const string A = "a@race.test", B = "b@race.test";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_connects_that_read_the_same_row_leave_one_valid_token_and_the_row_holds_it(bool connectedBefore)
    {
        await using var s = await RaceScenario.StartAsync(connectedBefore);
        var (readA, readB) = (s.Host.Supabase.Hold("GET", FakeSupabase.TokensTable), s.Host.Supabase.Hold("GET", FakeSupabase.TokensTable));
        var (writeA, writeB) = (s.HoldWriteOf(FakeSupabase.TokensTable, A), s.HoldWriteOf(FakeSupabase.TokensTable, B));
        var flowA = s.ConnectAsync(A);
        var flowB = s.ConnectAsync(B);

        // Both flows read the user's row before either writes.
        await Task.WhenAll(readA.Arrived, readB.Arrived).Bounded();
        readA.Release();
        readB.Release();
        await Task.WhenAll(writeA.Arrived, writeB.Arrived).Bounded();

        writeA.Release();
        var first = await flowA.Bounded();
        writeB.Release();
        var second = await flowB.Bounded();

        Assert.True(first.Succeeded);
        Assert.False(second.Succeeded);
        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        Assert.Equal(A, s.StoredLabel);
        Assert.Contains(s.RefreshTokenOf(B), s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Single(s.LogsNamed("ConnectSuperseded"));
    }

    [Fact]
    public async Task A_connect_whose_second_save_fails_after_another_connect_succeeded_never_restores_a_revoked_token()
    {
        await using var s = await RaceScenario.StartAsync();
        var (readA, readB) = (s.Host.Supabase.Hold("GET", FakeSupabase.TokensTable), s.Host.Supabase.Hold("GET", FakeSupabase.TokensTable));
        var writeA = s.HoldWriteOf(FakeSupabase.TokensTable, A);
        s.HoldWriteOf(FakeSupabase.ConnectionsTable, A).FailOnArrival(401, "PGRST301");
        var flowA = s.ConnectAsync(A);
        var flowB = s.ConnectAsync(B);
        await Task.WhenAll(readA.Arrived, readB.Arrived).Bounded();
        readA.Release();
        readB.Release();
        await writeA.Arrived.Bounded();

        // B finishes first (and revokes the token it replaced); only then does A write, and A's other save fails.
        Assert.True((await flowB.Bounded()).Succeeded);
        writeA.Release();
        Assert.False((await flowA.Bounded()).Succeeded);

        Assert.Equal(s.RefreshTokenOf(B), s.StoredRefreshToken);
        Assert.Equal(B, s.StoredLabel);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_rollback_that_finds_another_connects_tokens_leaves_them_and_revokes_both_tokens_it_displaced()
    {
        await using var s = await RaceScenario.StartAsync();
        s.HoldWriteOf(FakeSupabase.ConnectionsTable, A).FailOnArrival(401, "PGRST301");
        // A's rollback writes the first connection's values back: hold it until B has connected on top of A's tokens.
        var rollbackA = s.HoldWriteOf(FakeSupabase.TokensTable, RaceScenario.FirstEmail);
        var flowA = s.ConnectAsync(A);
        await rollbackA.Arrived.Bounded();

        Assert.True((await s.ConnectAsync(B).Bounded()).Succeeded);
        rollbackA.Release();
        Assert.False((await flowA.Bounded()).Succeeded);

        Assert.Equal(s.RefreshTokenOf(B), s.StoredRefreshToken);
        Assert.Equal(B, s.StoredLabel);
        Assert.Contains(s.RefreshTokenOf(RaceScenario.FirstEmail), s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_connect_that_fails_while_another_waits_restores_the_first_connection_and_the_other_loses()
    {
        await using var s = await RaceScenario.StartAsync();
        var (readA, readB) = (s.Host.Supabase.Hold("GET", FakeSupabase.TokensTable), s.Host.Supabase.Hold("GET", FakeSupabase.TokensTable));
        var writeB = s.HoldWriteOf(FakeSupabase.TokensTable, B);
        s.HoldWriteOf(FakeSupabase.ConnectionsTable, A).FailOnArrival(401, "PGRST301");
        var flowA = s.ConnectAsync(A);
        var flowB = s.ConnectAsync(B);
        await Task.WhenAll(readA.Arrived, readB.Arrived).Bounded();
        readA.Release();
        readB.Release();
        await writeB.Arrived.Bounded();

        Assert.False((await flowA.Bounded()).Succeeded); // A wrote, its other save failed, it put the first connection back
        writeB.Release();
        Assert.False((await flowB.Bounded()).Succeeded); // B read the row before A touched it: it no longer holds that

        Assert.Equal(s.RefreshTokenOf(RaceScenario.FirstEmail), s.StoredRefreshToken);
        Assert.Equal(RaceScenario.FirstEmail, s.StoredLabel);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_connect_finishing_while_a_disconnect_deletes_leaves_no_valid_token_and_no_row()
    {
        await using var s = await RaceScenario.StartAsync();
        // The disconnect has read and revoked the first token; its delete waits until a connect has stored new tokens.
        var deleteD = s.Host.Supabase.Hold("DELETE", FakeSupabase.TokensTable);
        var disconnect = s.DisconnectAsync();
        await deleteD.Arrived.Bounded();

        Assert.True((await s.ConnectAsync(A).Bounded()).Succeeded);
        deleteD.Release();

        Assert.Equal(HttpStatusCode.OK, await disconnect.Bounded());
        Assert.Null(s.StoredRefreshToken);
        Assert.Null(s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User));
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_connect_that_read_the_row_a_disconnect_then_deleted_revokes_its_own_tokens()
    {
        await using var s = await RaceScenario.StartAsync();
        var writeA = s.HoldWriteOf(FakeSupabase.TokensTable, A);
        var flowA = s.ConnectAsync(A);
        await writeA.Arrived.Bounded();

        Assert.Equal(HttpStatusCode.OK, await s.DisconnectAsync().Bounded());
        writeA.Release();

        Assert.False((await flowA.Bounded()).Succeeded);
        Assert.Null(s.StoredRefreshToken);
        Assert.Null(s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User));
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }
}
