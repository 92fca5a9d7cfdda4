using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>GET /api/ringcentral/status</c>: the caller's connection as the ERP shows it, by the edge function's rules.
/// <list type="bullet">
/// <item><b>With a token row</b> (its label only, never the tokens): <c>error</c> when the connection row says
/// <c>error</c> or the ERP's sync job has not run within <c>RingCentral:SyncStaleAfter</c> (no row, or no
/// <c>last_sync_at</c>, counts as not run), else <c>connected</c>. The error text is the row's <c>error_message</c>, else
/// <see cref="SyncStaleness.Message"/>. The resolved status is written back to the connection row (created when
/// missing) only if nothing wrote it since it was read; a lost race changes nothing and the answer stays.</item>
/// <item><b>Without one</b>, when the shared JWT credential is configured: connected through it only when its
/// extension's <c>contact.email</c> is the user's email (case ignored); see <see cref="SharedJwtAccount"/>. Anything
/// else is <c>not_connected</c> and stores nothing. Without the credential, RingCentral is not called at all.</item>
/// </list>
/// A user's own token is never refreshed here: that would rotate the single-use refresh token under the other ERP
/// functions that use it.
/// </summary>
public sealed class StatusEndpoint(
    BearerAuthentication authentication,
    ITokenStore store,
    IConnectionStatusStore connections,
    SharedJwtAccount sharedJwt,
    ISupabaseUserDirectory users,
    IOptions<RingCentralOptions> options,
    TimeProvider time,
    ILogger<StatusEndpoint> logger)
{
    public const int MaxErrorLength = 500;
    public const string Connected = ConnectionRow.Connected, Error = ConnectionRow.Error, NotConnected = "not_connected";

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;

            if (await ReadRowsAsync(user.Id, cancellationToken) is not { } rows)
                return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);

            var (summary, connection) = rows;
            if (summary is null)
            {
                var shared = await ConnectThroughSharedJwtAsync(user, connection, cancellationToken);
                if (shared.Unavailable) return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
                if (shared.Email is { } sharedEmail) return Answer(request, user.Id, new { status = Connected, email = sharedEmail }, Connected);
                if (shared.RowsNow?.Summary is not { } storedMeanwhile) return Answer(request, user.Id, new { status = NotConnected }, NotConnected);
                (summary, connection) = (storedMeanwhile, shared.RowsNow.Connection); // a connect stored a row meanwhile: answer from it
            }

            var checkedAt = time.GetUtcNow();
            var (status, error) = Resolve(connection, checkedAt, StaleAfter);
            try
            {
                if (!await connections.WriteStatusAsync(user.Id, connection, new ConnectionStatusWrite(status, error, checkedAt, summary.RcEmail), cancellationToken))
                    Log.StatusWriteSuperseded(logger, user.Id);
            }
            catch (TokenStoreException ex) when (!ex.NotConfigured)
            {
                // Logged by the store; the answer does not depend on it.
            }

            return status == Connected
                ? Answer(request, user.Id, new { status = Connected, email = summary.RcEmail }, Connected)
                : Answer(request, user.Id, new { status = Error, error = Bound(error), email = summary.RcEmail }, Error);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(StatusEndpoint));
        }
    }

    /// <summary>
    /// The edge function's rule: stale when <c>last_sync_at</c> is missing (or there is no row) or older than
    /// <paramref name="staleAfter"/>; <c>error</c> when stale or the row's status is <c>error</c>, with the row's
    /// <c>error_message</c>, else <see cref="SyncStaleness.Message"/>.
    /// </summary>
    public static (string Status, string? Error) Resolve(ConnectionSnapshot? connection, DateTimeOffset now, TimeSpan staleAfter)
    {
        var stale = connection?.LastSyncAt is not { } lastSync || now - lastSync > staleAfter;
        if (!stale && connection?.Status != Error) return (Connected, null);
        return (Error, string.IsNullOrWhiteSpace(connection?.ErrorMessage) ? SyncStaleness.Message(staleAfter) : connection.ErrorMessage);
    }

    private TimeSpan StaleAfter => SyncStaleness.Parse(options.Value.SyncStaleAfter) ?? SyncStaleness.Default;

    private sealed record Rows(TokenRowSummary? Summary, ConnectionSnapshot? Connection);

    /// <summary>Both rows, read together; null (logged) when Supabase could not be read.</summary>
    private async Task<Rows?> ReadRowsAsync(Guid userId, CancellationToken cancellationToken)
    {
        var summaryTask = store.GetTokenSummaryAsync(userId, cancellationToken);
        var connectionTask = connections.GetConnectionAsync(userId, cancellationToken);
        try
        {
            return new Rows(await summaryTask, await connectionTask);
        }
        catch (TokenStoreException ex) when (!ex.NotConfigured)
        {
            try { await connectionTask; } catch (TokenStoreException other) when (!other.NotConfigured) { }
            Log.StatusFailed(logger, userId);
            return null;
        }
    }

    /// <summary>What (B) came to: connected as <see cref="Email"/>; or the rows as they now stand (a connect came first); or the store failed.</summary>
    private sealed record SharedOutcome(string? Email = null, Rows? RowsNow = null, bool Unavailable = false);

    private static readonly SharedOutcome NotThroughSharedJwt = new();

    private async Task<SharedOutcome> ConnectThroughSharedJwtAsync(AuthenticatedUser user, ConnectionSnapshot? connection, CancellationToken cancellationToken)
    {
        if (await sharedJwt.GetCredentialAsync(cancellationToken) is not { } credential) return NotThroughSharedJwt;
        var email = user.Email ?? await users.GetEmailAsync(user.Id, cancellationToken);
        if (string.IsNullOrWhiteSpace(email)) return NotThroughSharedJwt;

        var extension = await sharedJwt.GetExtensionAsync(credential, cancellationToken);
        if (extension is null || !string.Equals(extension.Email.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase)) return NotThroughSharedJwt;

        bool inserted;
        try
        {
            inserted = await connections.InsertSharedJwtRowAsync(user.Id, extension.Email, credential.Jwt,
                extension.Token.AccessToken, extension.Token.ExpiresAt, cancellationToken);
        }
        catch (TokenStoreException ex) when (!ex.NotConfigured)
        {
            Log.StatusFailed(logger, user.Id);
            return new SharedOutcome(Unavailable: true);
        }

        if (!inserted)
            return await ReadRowsAsync(user.Id, cancellationToken) is { } rows ? new SharedOutcome(RowsNow: rows) : new SharedOutcome(Unavailable: true);

        // Like a connect, the connection row starts the sync clock (the edge function writes none here, so its next
        // answer would be the staleness error until the sync job has run).
        // Not cancelled with the request: the token row is already stored, and its connection row should follow it.
        var now = time.GetUtcNow();
        try
        {
            if (!await connections.WriteStatusAsync(user.Id, connection, new ConnectionStatusWrite(Connected, null, now, extension.Email, LastSyncAt: now), CancellationToken.None))
                Log.StatusWriteSuperseded(logger, user.Id);
        }
        catch (TokenStoreException ex) when (!ex.NotConfigured)
        {
            // Logged by the store; the next Status creates the row.
        }

        Log.SharedJwtConnected(logger, user.Id);
        return new SharedOutcome(Email: extension.Email);
    }

    private IResult Answer<T>(HttpRequest request, Guid userId, T body, string status)
    {
        Log.StatusChecked(logger, userId, status);
        return ApiResponses.Ok(request, body);
    }

    private static string? Bound(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
}
