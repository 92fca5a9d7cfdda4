using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.RingCentral;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Races;

/// <summary>
/// The request is cancelled (the client left, or the Functions host cancelled the invocation) after the code was
/// exchanged (issue 10, item 3): the flow still finishes, or rolls back and revokes, on its own budget, and says so in
/// a <c>ConnectFinishedAfterAbort</c> line.
/// </summary>
public sealed class AbortAfterExchangeTests
{
    private const string A = "a@race.test";

    [Fact]
    public async Task Cancelled_while_the_save_is_on_its_way_the_flow_still_stores_the_tokens_and_revokes_the_replaced_one()
    {
        await using var s = await RaceScenario.StartAsync();
        var result = await CancelWhileTheSaveIsOnItsWayAsync(s, s.HoldSaveOf(A));

        Assert.True(result.Succeeded);
        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        Assert.Equal(A, s.StoredLabel);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        var line = Assert.Single(s.LogsNamed("ConnectFinishedAfterAbort"));
        Assert.Equal("connected", line.StructuredState!.Single(kv => kv.Key == "Outcome").Value);
    }

    [Fact]
    public async Task Cancelled_while_the_account_label_is_read_the_flow_still_stores_the_tokens()
    {
        var gate = new LabelGate();
        await using var s = await RaceScenario.StartAsync(wrapRingCentral: (_, inner) => gate.Wrap(inner));
        gate.Armed = true;
        using var request = new CancellationTokenSource();
        var flow = s.ConnectAsync(A, request.Token);
        await gate.Arrived.Bounded();

        await request.CancelAsync();
        gate.Release();

        Assert.True((await flow.Bounded()).Succeeded);
        Assert.Equal(s.RefreshTokenOf(A), s.StoredRefreshToken);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        Assert.Single(s.LogsNamed("ConnectFinishedAfterAbort"));
    }

    [Fact]
    public async Task Cancelled_and_then_the_save_is_refused_the_flow_revokes_its_tokens()
    {
        await using var s = await RaceScenario.StartAsync();
        var before = s.StoredRefreshToken;
        var result = await CancelWhileTheSaveIsOnItsWayAsync(s, s.HoldSaveOf(A).FailWith(401, "PGRST301"));

        Assert.False(result.Succeeded);
        Assert.Equal(before, s.StoredRefreshToken);
        Assert.Equal(RaceScenario.FirstEmail, s.StoredLabel);
        Assert.Contains(s.RefreshTokenOf(A), s.Host.RingCentral.Revoked);
        await s.AssertOnlyTheStoredTokenIsValidAsync();
        var line = Assert.Single(s.LogsNamed("ConnectFinishedAfterAbort"));
        Assert.Equal("not_connected", line.StructuredState!.Single(kv => kv.Key == "Outcome").Value);
        Assert.Equal("store_failed", line.StructuredState!.Single(kv => kv.Key == "Reason").Value);
    }

    [Fact]
    public async Task Cancelled_before_anything_started_the_code_is_not_sent()
    {
        await using var s = await RaceScenario.StartAsync(connectFirst: false);
        using var request = new CancellationTokenSource();
        await request.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.ConnectAsync(A, request.Token).Bounded());

        Assert.Empty(s.Host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Null(s.StoredRefreshToken);
    }

    /// <summary>
    /// Connects as <c>A</c> with <paramref name="save"/> held, cancels the request once the save is on its way (after the
    /// exchange), then lets the save answer; the flow's result.
    /// </summary>
    private static async Task<ConnectResult> CancelWhileTheSaveIsOnItsWayAsync(RaceScenario s, RequestHold save)
    {
        using var request = new CancellationTokenSource();
        var flow = s.ConnectAsync(A, request.Token);
        await save.Arrived.Bounded();
        await WaitForExchangeAsync(s);

        await request.CancelAsync();
        save.Release();
        return await flow.Bounded();
    }

    /// <summary>Wait (bounded) until RingCentral has issued this flow's tokens.</summary>
    private static async Task WaitForExchangeAsync(RaceScenario s)
    {
        var deadline = DateTime.UtcNow + RaceScenario.Bound;
        while (!s.Host.RingCentral.Issued.Any(i => i.Email == A) && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Contains(s.Host.RingCentral.Issued, i => i.Email == A);
    }

    /// <summary>Pauses the next account-label lookup (once armed) until released; honours cancellation like a real network call.</summary>
    private sealed class LabelGate
    {
        private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Armed { get; set; }
        public Task Arrived => _arrived.Task;
        public void Release() => _released.TrySetResult();

        public IRingCentralClient Wrap(IRingCentralClient inner) => new Client(inner, this);

        private sealed class Client(IRingCentralClient inner, LabelGate gate) : IRingCentralClient
        {
            public ValueTask<RingCentralFailure?> CheckClientSecretAsync(CancellationToken cancellationToken) => inner.CheckClientSecretAsync(cancellationToken);

            public Task<(RingCentralTokens? Tokens, RingCentralFailure? Failure)> ExchangeCodeAsync(string code, string codeVerifier, CancellationToken cancellationToken) =>
                inner.ExchangeCodeAsync(code, codeVerifier, cancellationToken);

            public async Task<(string? Label, int? HttpStatus)> GetAccountLabelAsync(string accessToken, CancellationToken cancellationToken)
            {
                if (gate.Armed)
                {
                    gate.Armed = false;
                    gate._arrived.TrySetResult();
                    await gate._released.Task.WaitAsync(cancellationToken);
                }

                return await inner.GetAccountLabelAsync(accessToken, cancellationToken);
            }

            public Task<RingCentralFailure?> RevokeAsync(string token, CancellationToken cancellationToken) => inner.RevokeAsync(token, cancellationToken);
        }
    }
}
