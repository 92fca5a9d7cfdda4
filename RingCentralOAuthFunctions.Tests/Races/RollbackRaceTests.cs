using System.Net;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Races;

/// <summary>Rollbacks and disconnects that cannot do what they meant: still exactly one valid refresh token, the stored one.</summary>
public sealed class RollbackRaceTests
{
    private const string A = "a@race.test";

    [Fact]
    public async Task When_putting_the_token_row_back_is_refused_the_stored_tokens_stay_valid_and_the_displaced_one_is_revoked()
    {
        await using var s = await RaceScenario.StartAsync();
        var first = s.StoredRefreshToken!;
        s.HoldWriteOf(FakeSupabase.ConnectionsTable, A).FailOnArrival(401, "PGRST301");
        s.HoldWriteOf(FakeSupabase.TokensTable, RaceScenario.FirstEmail).FailOnArrival(401, "PGRST301"); // the undo

        Assert.False((await s.ConnectAsync(A).Bounded()).Succeeded);

        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        Assert.Contains(first, s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Single(s.LogsNamed("ConnectRollbackFailed"));
    }

    [Fact]
    public async Task A_disconnect_that_keeps_losing_to_connects_gives_up_with_503_and_leaves_the_last_connection_intact()
    {
        await using var s = await RaceScenario.StartAsync();
        var deletes = Enumerable.Range(0, 3).Select(_ => s.Host.Supabase.Hold("DELETE", FakeSupabase.TokensTable)).ToList();
        var disconnect = s.DisconnectAsync();
        for (var round = 0; round < 3; round++)
        {
            await deletes[round].Arrived.Bounded();
            Assert.True((await s.ConnectAsync($"round{round}@race.test").Bounded()).Succeeded);
            deletes[round].Release();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await disconnect.Bounded());
        Assert.Equal(s.RefreshTokenOf("round2@race.test"), s.StoredRefreshToken);
        Assert.Equal("round2@race.test", s.StoredLabel);
        Assert.Equal(2, s.LogsNamed("DisconnectRetried").Count);
        // Each round revoked only what it had read, which the next connect had already replaced: the last connect's tokens are valid and stored.
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }
}
