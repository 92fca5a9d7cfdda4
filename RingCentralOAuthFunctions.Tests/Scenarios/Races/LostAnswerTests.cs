using System.Net;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Races;

/// <summary>
/// A database call that landed but whose answer was lost: the store's HTTP client asks again, and the function answers
/// the second call as it did the first (claim and save), so the flow neither takes its own write for a lost race nor
/// leaves a credential unaccounted for.
/// </summary>
public sealed class LostAnswerTests
{
    private const string A = "a@race.test";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_save_that_landed_without_an_answer_and_was_asked_again_still_connects(bool connectedBefore)
    {
        await using var s = await RaceScenario.StartAsync(connectedBefore);
        s.HoldSaveOf(A).LoseAnswer().Release();

        var result = await s.ConnectAsync(A).Bounded();

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        Assert.Equal(A, s.StoredLabel);
        Assert.True(s.Host.Supabase.RequestsTo("POST", "/rest/v1/" + RaceScenario.SaveRoute).Count() >= 2, "the save was asked again");
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Empty(s.LogsNamed("ConnectSuperseded"));
    }

    [Fact]
    public async Task A_claim_that_landed_without_an_answer_and_was_asked_again_still_connects()
    {
        await using var s = await RaceScenario.StartAsync();
        s.Host.Supabase.Hold("POST", RaceScenario.ClaimRoute).LoseAnswer().Release();

        var result = await s.ConnectAsync(A).Bounded();

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }

    [Fact]
    public async Task A_save_that_landed_without_any_answer_leaves_no_valid_credential_that_no_row_holds()
    {
        await using var s = await RaceScenario.StartAsync();
        // Every attempt (the first and the HTTP client's retries) lands, and none is answered.
        for (var i = 0; i < 3; i++) s.HoldSaveOf(A).LoseAnswer().Release();

        Assert.False((await s.ConnectAsync(A).Bounded()).Succeeded);

        // The flow cannot know the save landed: it revoked its own tokens (the row holds them: the user must reconnect),
        // and the first connection's token, displaced by the save that landed, is owed in the database.
        Assert.Contains(s.RefreshTokenOf(A), s.Host.RingCentral.Revoked);
        Assert.Single(s.LogsNamed("ConnectRollbackUncertain"));
        Assert.Contains(s.RefreshTokenOf(RaceScenario.FirstEmail), s.Host.Supabase.OwedRevocations());
        await s.RetryOwedRevocationsAsync();
        Assert.Empty(s.Host.RingCentral.ValidRefreshTokens());
    }

    [Fact]
    public async Task A_disconnect_that_landed_without_an_answer_still_answers_success_and_its_revocation_stays_owed_until_done()
    {
        await using var s = await RaceScenario.StartAsync();
        var stored = s.StoredRefreshToken!;
        s.Host.Supabase.Hold("POST", RaceScenario.DisconnectRoute).LoseAnswer().Release();

        Assert.Equal(HttpStatusCode.OK, await s.DisconnectAsync().Bounded());

        Assert.Null(s.StoredRefreshToken);
        Assert.Null(s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User));
        // The answer that named the token was lost; the database still owes its revocation.
        Assert.Contains(stored, s.Host.Supabase.OwedRevocations());
        await s.RetryOwedRevocationsAsync();
        Assert.Empty(s.Host.Supabase.OwedRevocations());
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }
}
