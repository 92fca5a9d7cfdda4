using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>
/// Finishes a connection server-side once the ticket is verified, in four sequential upstream calls:
/// <list type="number">
/// <item><b>claim</b> the flow in the database for the ticket's user (<c>ringcentral_oauth_claim</c>): only the first
///   claim of a flow may send its code, on any instance; a later one gets the recorded outcome; the per-user limit
///   (<see cref="PermitsPerWindow"/> claims per <see cref="Window"/>, for all instances together) is counted here;</item>
/// <item><b>exchange</b> the code at RingCentral;</item>
/// <item>read the <b>account label</b>;</item>
/// <item><b>save</b> both rows and the flow's outcome in one transaction (<c>ringcentral_oauth_save</c>). The database
///   decides between racing flows of the user and a Disconnect, and records what must be revoked in the same
///   transaction: the displaced refresh token when this flow won (revoked after the answer, durably owed meanwhile),
///   or this flow's own new one when it lost (revoked before the answer).</item>
/// </list>
/// Once the claim is sent, the flow no longer listens to the request's cancellation: it finishes on its own budget,
/// and logs <c>ConnectFinishedAfterAbort</c> when the request was cancelled meanwhile.
/// </summary>
public sealed class ConnectFlow(IRingCentralClient ringCentral, IFlowStore store, OwedRevocations revocations, Telemetry telemetry, ILogger<ConnectFlow> logger)
{
    /// <summary>Claim, exchange, lookup and save together; a revocation after a failure has a budget of its own, so the popup is answered within about 20 s.</summary>
    public static readonly TimeSpan FlowBudget = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan RevokeBudget = OwedRevocations.RevokeBudget;

    /// <summary>At most this many flows claimed per user per <see cref="Window"/> (sliding), counted in the database for every instance.</summary>
    public const int PermitsPerWindow = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The key of <c>integration_connections.config</c> that names the flow which made the connection (see <see cref="OncePerFlow"/>).</summary>
    public const string FlowMarkerKey = "flow";

    /// <param name="flowMarker">The flow's marker (<see cref="OncePerFlow.MarkerOf"/>): the flows table's key and the connection row's <c>config.flow</c>.</param>
    public async Task<ConnectResult> CompleteAsync(Guid userId, string code, string codeVerifier, string flowMarker, CancellationToken cancellationToken)
    {
        // Nothing has happened yet: a request already gone stops here, before the flow is claimed.
        cancellationToken.ThrowIfCancellationRequested();

        // From here on the flow may be claimed and RingCentral may issue tokens for the code; they must end up stored or
        // revoked, whatever happens to the request. So the request's token is deliberately not passed on.
        var result = await RunAsync(userId, code, codeVerifier, flowMarker);
        if (cancellationToken.IsCancellationRequested)
            Log.ConnectFinishedAfterAbort(logger, userId, result.Succeeded ? "connected" : "not_connected", result.Reason);
        return result;
    }

    private async Task<ConnectResult> RunAsync(Guid userId, string code, string codeVerifier, string flowMarker)
    {
        using var budget = new CancellationTokenSource(FlowBudget);
        var claimId = Guid.NewGuid();

        // A client secret the vault cannot give now fails before the claim: the same ticket works once it is back.
        if (await ringCentral.CheckClientSecretAsync(budget.Token) is { } unreadable)
            return Fail(userId, ConnectFailures.OfExchange(unreadable), unreadable);
        if (await ClaimAsync(flowMarker, userId, claimId, budget.Token) is { } answered) return answered;

        var (tokens, failed) = await ExchangeAsync(code, codeVerifier, userId, budget.Token);
        if (tokens is null)
        {
            await RecordFailureAsync(flowMarker, userId, claimId);
            return failed!;
        }

        var label = await ReadLabelAsync(userId, tokens.AccessToken, budget.Token);
        return await SaveAsync(flowMarker, userId, claimId, tokens, label, budget.Token);
    }

    /// <summary>Claims the flow in the database; null when this request is to run it, else the answer (a replay's recorded outcome, the rate limit, the store failing).</summary>
    private async Task<ConnectResult?> ClaimAsync(string flowMarker, Guid userId, Guid claimId, CancellationToken cancellationToken)
    {
        FlowClaim claim;
        try
        {
            claim = await store.ClaimFlowAsync(flowMarker, userId, claimId, PermitsPerWindow, Window, cancellationToken);
        }
        catch (Exception ex) when (TokenStoreException.IsStoreFailure(ex))
        {
            // Nothing sent to RingCentral: the same ticket may be posted again.
            return Fail(userId, ConnectFailure.StoreUnavailable, null);
        }

        switch (claim.Result)
        {
            case ClaimResult.Connected:
                Log.ConnectReplayed(logger, userId, "stored");
                return ConnectResult.Success(claim.Label);
            case ClaimResult.Used:
                Log.ConnectReplayed(logger, userId, "refused_" + (claim.RecordedOutcome ?? "unknown"));
                return Fail(userId, ConnectFailure.AlreadyUsed, null);
            case ClaimResult.RateLimited:
                return ConnectResult.RateLimited(claim.RetryAfter);
            default:
                return null;
        }
    }

    /// <summary>Exchanges the code at RingCentral: the tokens, or the failure answered (timeouts come back as failures, never as exceptions: IRingCentralClient's contract).</summary>
    private async Task<(RingCentralTokens? Tokens, ConnectResult? Failed)> ExchangeAsync(string code, string codeVerifier, Guid userId, CancellationToken cancellationToken)
    {
        var (tokens, failure) = await ringCentral.ExchangeCodeAsync(code, codeVerifier, cancellationToken);
        if (tokens is not null && failure is null) return (tokens, null);
        failure ??= new RingCentralFailure(RingCentralFailure.BadResponse, null, null);
        return (null, Fail(userId, ConnectFailures.OfExchange(failure), failure));
    }

    /// <summary>The account label (email, else name); null when RingCentral did not give it (the connect goes on without it).</summary>
    private async Task<string?> ReadLabelAsync(Guid userId, string accessToken, CancellationToken cancellationToken)
    {
        try
        {
            var (label, labelStatus) = await ringCentral.GetAccountLabelAsync(accessToken, cancellationToken);
            if (label is null) Log.AccountLabelUnavailable(logger, userId, labelStatus);
            return label;
        }
        catch (OperationCanceledException)
        {
            Log.AccountLabelUnavailable(logger, userId, null);
            return null;
        }
    }

    /// <summary>Saves both rows and the flow's outcome in one transaction; revokes this flow's tokens when the save failed or another flow won, the displaced ones after a success.</summary>
    private async Task<ConnectResult> SaveAsync(string flowMarker, Guid userId, Guid claimId, RingCentralTokens tokens, string? label, CancellationToken cancellationToken)
    {
        FlowSaveOutcome saved;
        try
        {
            saved = await store.SaveFlowAsync(new FlowSave(flowMarker, userId, claimId, label ?? "", tokens.RefreshToken, tokens.AccessToken, tokens.AccessTokenExpiresAt),
                cancellationToken);
        }
        catch (Exception ex) when (TokenStoreException.IsStoreFailure(ex))
        {
            // Refused (an answer): nothing changed. No answer (after the client's retries, which the save answers
            // alike): it may have landed. Either way this flow's tokens are revoked: at worst a row the user must
            // reconnect, never a valid credential that no row holds. A displaced token, if the save landed, is owed
            // in the database.
            var revoked = await revocations.RevokeNowAsync(userId, [new OwedRevocation(0, tokens.RefreshToken)], "new-token");
            if (ex is TokenStoreException { HttpStatus: null, NotConfigured: false } or OperationCanceledException)
                Log.ConnectRollbackUncertain(logger, userId, PostgrestTokenStore.SaveFunction);
            Log.ConnectRolledBack(logger, userId, revoked);
            await RecordFailureAsync(flowMarker, userId, claimId);
            return Fail(userId, ConnectFailure.StoreFailed, null);
        }

        if (saved.Result != SaveResult.Connected)
        {
            var revoked = await revocations.RevokeNowAsync(userId, saved.Revoke, "new-token");
            Log.ConnectSuperseded(logger, userId, revoked);
            return Fail(userId, ConnectFailure.Superseded, null);
        }

        Log.ConnectSucceeded(logger, userId, !string.IsNullOrEmpty(label));
        telemetry.ConnectSucceeded();
        revocations.RevokeInBackground(userId, saved.Revoke, "replaced-token");
        return ConnectResult.Success(label);
    }

    /// <summary>Best effort: a flow left "claimed" is refused on a replay all the same; "failed" only tells the story better.</summary>
    private async Task RecordFailureAsync(string flowMarker, Guid userId, Guid claimId)
    {
        using var timeout = new CancellationTokenSource(RevokeBudget);
        try
        {
            await store.FailFlowAsync(flowMarker, userId, claimId, timeout.Token);
        }
        catch (Exception ex) when (TokenStoreException.IsStoreFailure(ex))
        {
            // Logged by the store.
        }
    }

    private ConnectResult Fail(Guid userId, ConnectFailure reason, RingCentralFailure? failure)
    {
        Log.ConnectFailed(logger, userId, reason.Name(), failure?.ErrorCode, failure?.HttpStatus, failure?.OperatorHint ?? "");
        telemetry.ConnectFailed(reason.Name());
        return ConnectResult.Failed(reason);
    }
}
