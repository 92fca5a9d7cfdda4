using System.Net;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Races;

/// <summary>
/// Saves and disconnects that fail: a refused database call changes nothing (each is one transaction), so there is
/// nothing to roll back; still exactly one valid refresh token, the stored one.
/// </summary>
public sealed class RollbackRaceTests
{
    private const string A = "a@race.test";

    [Fact]
    public async Task A_refused_save_leaves_the_previous_connection_valid_and_revokes_the_new_tokens()
    {
        await using var s = await RaceScenario.StartAsync();
        var first = s.StoredRefreshToken!;
        s.HoldSaveOf(A).FailOnArrival(401, "PGRST301"); // an answer, not retried: nothing changed

        Assert.False((await s.ConnectAsync(A).Bounded()).Succeeded);

        Assert.Equal(first, s.StoredRefreshToken);
        Assert.Equal(RaceScenario.FirstEmail, s.StoredLabel);
        Assert.Contains(s.RefreshTokenOf(A), s.Host.RingCentral.Revoked);
        Assert.DoesNotContain(first, s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Single(s.LogsNamed("ConnectRolledBack"));
    }

    [Fact]
    public async Task A_refused_disconnect_is_503_and_leaves_the_connection_intact_and_valid()
    {
        await using var s = await RaceScenario.StartAsync();
        var stored = s.StoredRefreshToken!;
        s.Host.Supabase.Inject(FakeSupabase.Route("POST", RaceScenario.DisconnectRoute), new Fault(500, FakeSupabase.ErrorBody("XX000", "down")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await s.DisconnectAsync().Bounded());

        Assert.Equal(stored, s.StoredRefreshToken);
        Assert.Empty(s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }
}
