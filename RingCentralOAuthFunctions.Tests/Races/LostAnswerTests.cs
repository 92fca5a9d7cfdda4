using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Races;

/// <summary>
/// A conditional token write that landed but whose answer was lost: the store's HTTP client retries it, and the retry
/// finds the row changed (409, or no row at the version read). That is this flow's own write, not another flow's: the
/// flow must not take it for a lost race and revoke the tokens the row now holds.
/// </summary>
public sealed class LostAnswerTests
{
    private const string A = "a@race.test";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_token_write_that_landed_without_an_answer_and_was_retried_still_connects(bool connectedBefore)
    {
        await using var s = await RaceScenario.StartAsync(connectedBefore);
        var write = s.HoldWriteOf(FakeSupabase.TokensTable, A).LoseAnswer();
        write.Release();

        var result = await s.ConnectAsync(A).Bounded();

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        Assert.Equal(A, s.StoredLabel);
        Assert.True(s.Host.Supabase.RequestsTo(connectedBefore ? "PATCH" : "POST", "/rest/v1/user_ringcentral_tokens").Count() >= 2, "the write was retried");
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Empty(s.LogsNamed("ConnectSuperseded"));
    }

    [Fact]
    public async Task A_connection_row_that_landed_without_any_answer_is_put_back_by_its_own_stamp()
    {
        await using var s = await RaceScenario.StartAsync();
        var connectionBefore = s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User)!;
        // Every attempt (the first and the HTTP client's retries) lands, and none is answered.
        for (var i = 0; i < 3; i++) s.HoldWriteOf(FakeSupabase.ConnectionsTable, A).LoseAnswer().Release();

        Assert.False((await s.ConnectAsync(A).Bounded()).Succeeded);

        var connectionAfter = s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User)!;
        foreach (var column in new[] { "status", "last_checked_at", "last_sync_at", "error_message", "config" })
            Assert.Equal(connectionBefore[column]?.ToJsonString(), connectionAfter[column]?.ToJsonString());
        Assert.Equal(RaceScenario.FirstEmail, s.StoredLabel);
        Assert.Contains(s.RefreshTokenOf(A), s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Equal(s.RefreshTokenOf(RaceScenario.FirstEmail), s.StoredRefreshToken);
    }

    [Fact]
    public async Task A_disconnect_whose_delete_landed_without_an_answer_still_answers_success()
    {
        await using var s = await RaceScenario.StartAsync();
        s.Host.Supabase.Hold("DELETE", FakeSupabase.TokensTable).LoseAnswer().Release();

        Assert.Equal(System.Net.HttpStatusCode.OK, await s.DisconnectAsync().Bounded());

        Assert.Null(s.StoredRefreshToken);
        Assert.Null(s.Host.Supabase.Row(FakeSupabase.ConnectionsTable, s.User));
        await s.AssertOnlyTheStoredTokenIsValidAsync();
    }
}
