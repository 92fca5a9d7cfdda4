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
/// Finishes a connection server-side once the state is verified: exchange the code (once), read the account
/// label, save both rows. The two saves run in parallel, and either both land or neither does: the rows as they
/// were are read beforehand (in parallel with the exchange), restored if one save fails, and then the new tokens
/// are revoked at RingCentral so no orphaned credential lives on.
/// </summary>
public sealed class ConnectFlow(IRingCentralClient ringCentral, ITokenStore store, TimeProvider time, Telemetry telemetry, ILogger<ConnectFlow> logger)
{
    /// <summary>Exchange, lookup and saves together; revocation after a failure has its own budget, so the popup is answered within about 20 s.</summary>
    public static readonly TimeSpan FlowBudget = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan RevokeBudget = TimeSpan.FromSeconds(5);

    /// <summary>The key of <c>integration_connections.config</c> that names the flow which made the connection (see <see cref="FlowCompletion"/>).</summary>
    public const string FlowMarkerKey = "flow";

    public Task<ConnectResult> CompleteAsync(Guid userId, string code, string codeVerifier, CancellationToken cancellationToken) =>
        CompleteAsync(userId, code, codeVerifier, flowMarker: null, cancellationToken);

    /// <param name="flowMarker">When given, saved as <c>config.flow</c> beside <c>rc_email</c>, so a replay of this flow is recognised on any instance.</param>
    public async Task<ConnectResult> CompleteAsync(Guid userId, string code, string codeVerifier, string? flowMarker, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(FlowBudget);

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
        catch (Exception ex) when (ex is TokenStoreException or Secrets.SecretUnavailableException
                                   or OperationCanceledException && !cancellationToken.IsCancellationRequested)
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
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            label = null;
            Log.AccountLabelUnavailable(logger, userId, null);
        }

        var now = time.GetUtcNow();
        var tokenRow = new TokenRow(userId, label ?? "", tokens.RefreshToken, tokens.AccessToken, tokens.AccessTokenExpiresAt, CodeVerifier: null);
        var connectionRow = new ConnectionRow(userId, ConnectionRow.Connected, now, now, null, new JsonObject { ["rc_email"] = label ?? "" });
        if (flowMarker is not null) connectionRow.Config![FlowMarkerKey] = flowMarker;

        var tokensSave = SaveOutcomeOf(store.UpsertTokensAsync(tokenRow, budget.Token));
        var connectionSave = SaveOutcomeOf(store.UpsertConnectionAsync(connectionRow, budget.Token));
        var (savedTokens, savedConnection) = (await tokensSave, await connectionSave);

        if (savedTokens == Save.Saved && savedConnection == Save.Saved)
        {
            Log.ConnectSucceeded(logger, userId, !string.IsNullOrEmpty(label));
            telemetry.ConnectSucceeded();
            RevokeReplacedInBackground(userId, previousTokens, tokens);
            return ConnectResult.Success(label);
        }

        await RollBackAsync(userId, savedTokens, savedConnection, previousTokens, previousConnection, tokens);
        return Fail(userId, "store_failed", null, CallbackMessages.SaveFailed);
    }

    /// <summary>
    /// Puts back (in parallel) what the two saves may have changed, then revokes the new tokens unless the token row
    /// is known to hold them and could not be put back.
    /// </summary>
    private async Task RollBackAsync(Guid userId, Save savedTokens, Save savedConnection,
        TokenRow? previousTokens, ConnectionRow? previousConnection, RingCentralTokens tokens)
    {
        using var timeout = new CancellationTokenSource(RevokeBudget);
        // A save without an answer may have landed: it is put back like one that did.
        var connectionRestore = savedConnection == Save.Refused ? Task.FromResult(true) : Succeeds(previousConnection is null
            ? store.DeleteConnectionAsync(userId, timeout.Token)
            : store.UpsertConnectionAsync(previousConnection, timeout.Token));
        var tokensRestore = savedTokens == Save.Refused ? Task.FromResult(true) : Succeeds(previousTokens is null
            ? store.DeleteTokensAsync(userId, timeout.Token)
            : store.UpsertTokensAsync(previousTokens, timeout.Token));
        var (connectionRestored, tokensRestored) = (await connectionRestore, await tokensRestore);

        ReportUnrestored(userId, PostgrestTokenStore.ConnectionsTable, savedConnection, connectionRestored);
        ReportUnrestored(userId, PostgrestTokenStore.TokensTable, savedTokens, tokensRestored);

        // A token row known to hold the new tokens, and not put back, would break if they were revoked. When it is
        // unknown whether the save landed, revoking is the safer error: at worst a row the user must reconnect,
        // never a valid credential that no row holds.
        var keepNewTokens = !tokensRestored && savedTokens == Save.Saved;
        var revoked = !keepNewTokens && await RevokeAsync(tokens.RefreshToken);
        Log.ConnectRolledBack(logger, userId, revoked);
    }

    private void ReportUnrestored(Guid userId, string row, Save save, bool restored)
    {
        if (restored) return;
        if (save == Save.Saved) Log.ConnectRollbackFailed(logger, userId, row);
        else Log.ConnectRollbackUncertain(logger, userId, row);
    }

    /// <summary>
    /// The refresh token a reconnect replaced is no longer stored anywhere, so it is revoked (best effort, off the
    /// popup's critical path). Shared JWT credentials (<c>jwt:</c>) are not this user's to revoke.
    /// </summary>
    private void RevokeReplacedInBackground(Guid userId, TokenRow? previous, RingCentralTokens current)
    {
        if (previous is not { RefreshToken: { Length: > 0 } replaced } || replaced == current.RefreshToken
            || replaced.StartsWith(Endpoints.DisconnectEndpoint.SharedJwtPrefix, StringComparison.Ordinal))
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

    /// <summary>Whether a save landed: PostgREST answered success (Saved), answered an error (Refused: a request is
    /// atomic, nothing changed), or did not answer (Unknown: it may have landed).</summary>
    private enum Save { Saved, Refused, Unknown }

    private static async Task<Save> SaveOutcomeOf(Task task)
    {
        try
        {
            await task;
            return Save.Saved;
        }
        catch (Exception ex) when (ex is Secrets.SecretUnavailableException or TokenStoreException { HttpStatus: not null })
        {
            return Save.Refused; // never sent, or answered with an error
        }
        catch (Exception ex) when (ex is TokenStoreException or OperationCanceledException)
        {
            return Save.Unknown;
        }
    }

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
