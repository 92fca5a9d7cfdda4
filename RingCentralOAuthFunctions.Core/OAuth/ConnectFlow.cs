using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>The outcome of a connect (Complete): success with the account label, or a fixed reason and message.</summary>
public sealed record ConnectResult(bool Succeeded, string? Email, string Reason, string Message)
{
    public static ConnectResult Success(string? email) => new(true, email, "none", "");
    public static ConnectResult Failure(string reason, string message) => new(false, null, reason, message);
}

/// <summary>
/// Finishes a connection server-side once the state is verified: exchange the code (once), read the account label,
/// save both rows. The user's rows as they were are read in parallel with the exchange.
/// <para>
/// The token row decides between concurrent flows of one user: it is written only if it is still as this flow read it
/// (a plain insert when there was none, else an update naming the version read). A flow that finds it changed has lost:
/// it writes nothing else and revokes its own new tokens. The winner then saves the connection row; if that fails, it
/// puts the token row back only if it still holds this flow's write, and the connection row only if it still carries
/// this flow's stamp, so a rollback never overwrites another flow's result. Afterwards every refresh token this flow
/// issued or displaced that the row does not hold is revoked: exactly one valid refresh token remains, the stored one.
/// </para>
/// <para>
/// Once the code is sent, the flow no longer listens to the request's cancellation: it finishes, or rolls back and
/// revokes, on its own budget, and logs <c>ConnectFinishedAfterAbort</c> when the request was cancelled meanwhile.
/// </para>
/// </summary>
public sealed class ConnectFlow(IRingCentralClient ringCentral, ITokenStore store, TimeProvider time, Telemetry telemetry, ILogger<ConnectFlow> logger)
{
    /// <summary>Exchange, lookup and saves together; rollback and revocation after a failure have budgets of their own, so the popup is answered within about 25 s.</summary>
    public static readonly TimeSpan FlowBudget = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan RevokeBudget = TimeSpan.FromSeconds(5);

    /// <summary>The key of <c>integration_connections.config</c> that names the flow which made the connection (see <see cref="FlowCompletion"/>).</summary>
    public const string FlowMarkerKey = "flow";

    public Task<ConnectResult> CompleteAsync(Guid userId, string code, string codeVerifier, CancellationToken cancellationToken) =>
        CompleteAsync(userId, code, codeVerifier, flowMarker: null, cancellationToken);

    /// <param name="flowMarker">When given, saved as <c>config.flow</c> beside <c>rc_email</c>, so a replay of this flow is recognised on any instance.</param>
    public async Task<ConnectResult> CompleteAsync(Guid userId, string code, string codeVerifier, string? flowMarker, CancellationToken cancellationToken)
    {
        // Nothing has happened yet: a request already gone stops here, before the code is sent.
        cancellationToken.ThrowIfCancellationRequested();

        // From here on RingCentral may issue tokens for the code; they must end up stored or revoked, whatever
        // happens to the request. So the request's token is deliberately not passed on.
        var result = await RunAsync(userId, code, codeVerifier, flowMarker);
        if (cancellationToken.IsCancellationRequested)
            Log.ConnectFinishedAfterAbort(logger, userId, result.Succeeded ? "connected" : "not_connected", result.Reason);
        return result;
    }

    private async Task<ConnectResult> RunAsync(Guid userId, string code, string codeVerifier, string? flowMarker)
    {
        using var budget = new CancellationTokenSource(FlowBudget);

        var previousTokensTask = store.GetTokensAsync(userId, budget.Token);
        var previousConnectionTask = store.GetConnectionAsync(userId, budget.Token);

        // Timeouts come back as failures, never as exceptions (IRingCentralClient's contract).
        var (tokens, failure) = await ringCentral.ExchangeCodeAsync(code, codeVerifier, budget.Token);
        if (tokens is null || failure is not null)
        {
            await ObserveAsync(previousTokensTask, previousConnectionTask);
            failure ??= new RingCentralFailure(RingCentralFailure.BadResponse, null, null);
            return Fail(userId, "exchange_" + failure.Reason, failure,
                failure.Reason is RingCentralFailure.Unavailable or RingCentralFailure.RateLimited ? CallbackMessages.ProviderUnavailable : CallbackMessages.Rejected);
        }

        TokenRow? previousTokens;
        ConnectionRow? previousConnection;
        try
        {
            previousTokens = await previousTokensTask;
            previousConnection = await previousConnectionTask;
        }
        catch (Exception ex) when (ex is TokenStoreException or Secrets.SecretUnavailableException or OperationCanceledException)
        {
            await ObserveAsync(previousTokensTask, previousConnectionTask);
            var revoked = await RevokeAsync(tokens.RefreshToken);
            Log.ConnectRolledBack(logger, userId, revoked);
            return Fail(userId, "store_unavailable", null, CallbackMessages.SaveFailed);
        }

        string? label;
        try
        {
            int? labelStatus;
            (label, labelStatus) = await ringCentral.GetAccountLabelAsync(tokens.AccessToken, budget.Token);
            if (label is null) Log.AccountLabelUnavailable(logger, userId, labelStatus);
        }
        catch (OperationCanceledException)
        {
            label = null;
            Log.AccountLabelUnavailable(logger, userId, null);
        }

        // Postgres keeps microseconds: the stamp is cut to them so that a filter naming it matches what was stored.
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var tokenRow = new TokenRow(userId, label ?? "", tokens.RefreshToken, tokens.AccessToken, tokens.AccessTokenExpiresAt, CodeVerifier: null);
        var connectionRow = new ConnectionRow(userId, ConnectionRow.Connected, now, now, null, new JsonObject { ["rc_email"] = label ?? "" });
        if (flowMarker is not null) connectionRow.Config![FlowMarkerKey] = flowMarker;

        var claim = await ClaimAsync(previousTokens, tokenRow, budget.Token);
        if (claim.Outcome == Save.NotMatched)
        {
            var revoked = await RevokeAsync(tokens.RefreshToken);
            Log.ConnectSuperseded(logger, userId, revoked);
            return Fail(userId, "superseded", null, CallbackMessages.SaveFailed);
        }

        if (claim.Outcome == Save.Refused)
        {
            var revoked = await RevokeAsync(tokens.RefreshToken);
            Log.ConnectRolledBack(logger, userId, revoked);
            return Fail(userId, "store_failed", null, CallbackMessages.SaveFailed);
        }

        var savedConnection = claim.Outcome == Save.Saved
            ? await SaveOutcomeOf(store.UpsertConnectionAsync(connectionRow, budget.Token))
            : Save.Refused; // not attempted: the token row's fate is unknown
        if (claim.Outcome == Save.Saved && savedConnection == Save.Saved)
        {
            Log.ConnectSucceeded(logger, userId, !string.IsNullOrEmpty(label));
            telemetry.ConnectSucceeded();
            RevokeReplacedInBackground(userId, previousTokens, tokens);
            return ConnectResult.Success(label);
        }

        await RollBackAsync(userId, claim, savedConnection, previousTokens, previousConnection, tokens, now);
        return Fail(userId, "store_failed", null, CallbackMessages.SaveFailed);
    }

    /// <summary>Writes the token row only if it is still as it was read: inserted when there was none, else updated at the version read.</summary>
    private async Task<(Save Outcome, string? Version)> ClaimAsync(TokenRow? previous, TokenRow row, CancellationToken cancellationToken)
    {
        try
        {
            var version = previous is null
                ? await store.InsertTokensAsync(row, cancellationToken)
                : await store.ReplaceTokensAsync(row, previous.Version, cancellationToken);
            if (version is not null) return (Save.Saved, version);

            // No match can also be this flow's own write: it landed, its answer was lost, and the HTTP client's retry
            // found the row changed. Only the row can tell; unreadable, the write's fate is unknown.
            var (now, known) = await ReadAsync(row.UserId, cancellationToken);
            return !known ? (Save.Unknown, null)
                : now?.RefreshToken == row.RefreshToken ? (Save.Saved, now.Version)
                : (Save.NotMatched, null);
        }
        catch (Exception ex) when (ex is TokenStoreException or OperationCanceledException or Secrets.SecretUnavailableException)
        {
            return (OutcomeOf(ex), null);
        }
    }

    /// <summary>What the token row holds after a rollback, as far as this flow can tell.</summary>
    private enum Holding { Previous, Ours, Other, Unknown }

    /// <summary>
    /// Undoes what this flow may have written (token row and connection row in parallel), each only while the row still
    /// holds this flow's write; then revokes every refresh token this flow issued or displaced that the token row does
    /// not hold. When that is unknown, revoking is the safer error: at worst a row the user must reconnect, never a
    /// valid credential that no row holds.
    /// </summary>
    private async Task RollBackAsync(Guid userId, (Save Outcome, string? Version) claim, Save savedConnection,
        TokenRow? previousTokens, ConnectionRow? previousConnection, RingCentralTokens tokens, DateTimeOffset writtenSyncAt)
    {
        using var timeout = new CancellationTokenSource(RevokeBudget);
        // A save without an answer may have landed: it is undone like one that did.
        var connectionRestore = savedConnection == Save.Refused
            ? Task.FromResult(true)
            : Succeeds(store.RestoreConnectionAsync(userId, previousConnection, writtenSyncAt, timeout.Token));
        var tokensUndo = UndoTokensAsync(userId, claim, previousTokens, tokens.RefreshToken, timeout.Token);
        var (connectionRestored, holding) = (await connectionRestore, await tokensUndo);

        if (!connectionRestored)
        {
            if (savedConnection == Save.Saved) Log.ConnectRollbackFailed(logger, userId, PostgrestTokenStore.ConnectionsTable);
            else Log.ConnectRollbackUncertain(logger, userId, PostgrestTokenStore.ConnectionsTable);
        }

        // The token this flow's write displaced, if that write may have landed (shared jwt: credentials are not ours).
        var displaced = previousTokens is { RefreshToken: { Length: > 0 } p } && Revocable(p) ? p : null;
        var revokeNew = holding != Holding.Ours;
        var revokeDisplaced = displaced is not null && holding != Holding.Previous;
        var revokeNewTask = revokeNew ? RevokeAsync(tokens.RefreshToken) : Task.FromResult(false);
        var revokeDisplacedTask = revokeDisplaced ? RevokeAsync(displaced!) : Task.FromResult(true);
        var revoked = await revokeNewTask;
        if (!await revokeDisplacedTask) Log.RevokeFailed(logger, userId, null, "displaced-token");

        switch (holding)
        {
            case Holding.Ours:
                Log.ConnectRollbackFailed(logger, userId, PostgrestTokenStore.TokensTable);
                break;
            case Holding.Unknown:
                Log.ConnectRollbackUncertain(logger, userId, PostgrestTokenStore.TokensTable);
                Log.ConnectRolledBack(logger, userId, revoked);
                break;
            default:
                Log.ConnectRolledBack(logger, userId, revoked);
                break;
        }
    }

    /// <summary>Puts the token row back as it was read, only if it still holds this flow's write; says what it holds afterwards.</summary>
    private async Task<Holding> UndoTokensAsync(Guid userId, (Save Outcome, string? Version) claim, TokenRow? previous, string ours, CancellationToken cancellationToken)
    {
        var version = claim.Version;
        if (claim.Outcome != Save.Saved)
        {
            // The write got no answer: only the row can say whether it landed.
            var (now, known) = await ReadAsync(userId, cancellationToken);
            if (!known) return Holding.Unknown;
            if (now?.RefreshToken != ours) return Classify(now, previous, ours);
            version = now.Version;
        }

        var refused = false;
        try
        {
            var undone = previous is null
                ? await store.DeleteTokensAsync(userId, version, cancellationToken)
                : await store.ReplaceTokensAsync(previous, version, cancellationToken) is not null;
            if (undone) return Holding.Previous;
        }
        catch (Exception ex) when (ex is TokenStoreException or OperationCanceledException or Secrets.SecretUnavailableException)
        {
            refused = OutcomeOf(ex) == Save.Refused;
        }

        // Not undone: another writer came after this flow's write, or the undo failed. Look at the row.
        var (after, readable) = await ReadAsync(userId, cancellationToken);
        if (readable) return Classify(after, previous, ours);
        return refused ? Holding.Ours : Holding.Unknown; // a refused undo changed nothing: the row still holds this flow's write
    }

    private async Task<(TokenRow? Row, bool Known)> ReadAsync(Guid userId, CancellationToken cancellationToken)
    {
        try
        {
            return (await store.GetTokensAsync(userId, cancellationToken), true);
        }
        catch (Exception ex) when (ex is TokenStoreException or OperationCanceledException or Secrets.SecretUnavailableException)
        {
            return (null, false);
        }
    }

    private static Holding Classify(TokenRow? row, TokenRow? previous, string ours) =>
        row?.RefreshToken == ours ? Holding.Ours
        : row?.RefreshToken == previous?.RefreshToken ? Holding.Previous
        : Holding.Other;

    /// <summary>Shared JWT credentials (<c>jwt:</c>) are not this user's to revoke.</summary>
    private static bool Revocable(string refreshToken) => TokenRow.IsUsersOwn(refreshToken);

    /// <summary>
    /// The refresh token this flow's write replaced is no longer stored anywhere, so it is revoked (best effort, off the
    /// popup's critical path). Only the flow whose conditional write replaced it does this.
    /// </summary>
    private void RevokeReplacedInBackground(Guid userId, TokenRow? previous, RingCentralTokens current)
    {
        if (previous is not { RefreshToken: { Length: > 0 } replaced } || replaced == current.RefreshToken || !Revocable(replaced))
            return;

        _ = Task.Run(async () =>
        {
            if (!await RevokeAsync(replaced)) Log.RevokeFailed(logger, userId, null, "replaced-token");
        });
    }

    private async Task<bool> RevokeAsync(string refreshToken)
    {
        using var timeout = new CancellationTokenSource(RevokeBudget);
        try
        {
            return await ringCentral.RevokeAsync(refreshToken, timeout.Token) is null;
        }
        catch (Exception ex) when (ex is OperationCanceledException or Secrets.SecretUnavailableException)
        {
            return false;
        }
    }

    private ConnectResult Fail(Guid userId, string reason, RingCentralFailure? failure, string message)
    {
        Log.ConnectFailed(logger, userId, reason, failure?.ErrorCode, failure?.HttpStatus, failure?.OperatorHint ?? "");
        telemetry.ConnectFailed(reason);
        return ConnectResult.Failure(reason, message);
    }

    /// <summary>Whether a write landed: PostgREST answered success (Saved), answered that no row was as expected
    /// (NotMatched), answered an error (Refused: a request is atomic, nothing changed), or did not answer (Unknown: it may have landed).</summary>
    private enum Save { Saved, NotMatched, Refused, Unknown }

    private static async Task<Save> SaveOutcomeOf(Task task)
    {
        try
        {
            await task;
            return Save.Saved;
        }
        catch (Exception ex) when (ex is TokenStoreException or OperationCanceledException or Secrets.SecretUnavailableException)
        {
            return OutcomeOf(ex);
        }
    }

    /// <summary>Never sent, or answered with an error: Refused. No answer: Unknown.</summary>
    private static Save OutcomeOf(Exception ex) =>
        ex is Secrets.SecretUnavailableException or TokenStoreException { HttpStatus: not null } ? Save.Refused : Save.Unknown;

    private static async Task<bool> Succeeds(Task task)
    {
        try
        {
            await task;
            return true;
        }
        catch (Exception ex) when (ex is TokenStoreException or OperationCanceledException or Secrets.SecretUnavailableException)
        {
            return false;
        }
    }

    private static async Task ObserveAsync(params Task[] tasks)
    {
        foreach (var task in tasks) await Succeeds(task);
    }
}
