using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using static RingCentralOAuthFunctions.Supabase.PostgrestClient;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// The <c>integration_connections</c> row (<c>integration_id = 'ringcentral'</c>) as Status read it.
/// <see cref="Version"/> is its <c>updated_at</c> exactly as PostgREST returned it (the ERP's trigger sets it on every
/// update), so a write can name the row as it was read.
/// </summary>
public sealed record ConnectionSnapshot(string Status, DateTimeOffset? LastSyncAt, string? ErrorMessage, JsonNode? Config, string? Version);

/// <summary>
/// What Status writes to the connection row: the resolved <c>status</c> and <c>error_message</c>, <c>last_checked_at</c>,
/// and <c>config.rc_email</c> (the other <c>config</c> keys are kept). <see cref="LastSyncAt"/> is written only when set
/// (a shared-JWT connection starts its sync clock like a connect does).
/// </summary>
public sealed record ConnectionStatusWrite(string Status, string? ErrorMessage, DateTimeOffset CheckedAt, string RcEmail, DateTimeOffset? LastSyncAt = null);

/// <summary>Status's reads and writes of the ERP tables. Every write is conditional: it never overwrites a write it did not see.</summary>
public interface IConnectionStatusStore
{
    Task<ConnectionSnapshot?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="write"/> only while the row is as <paramref name="asRead"/>: a <c>PATCH</c> filtered on its
    /// version, or, when there was no row, a plain insert. False when another write came first (nothing changed).
    /// </summary>
    Task<bool> WriteStatusAsync(Guid userId, ConnectionSnapshot? asRead, ConnectionStatusWrite write, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts a token row that holds the ERP's shared JWT credential (its <c>refresh_token</c> is
    /// <see cref="PostgrestConnectionStatusStore.SharedJwtPrefix"/> and the JWT, as the other ERP functions and the migration's
    /// functions recognise it: never revoked), without a code verifier; false when the user already has a row (nothing changed).
    /// </summary>
    Task<bool> InsertSharedJwtRowAsync(Guid userId, string rcEmail, string jwt, string accessToken, DateTimeOffset accessTokenExpiresAt,
        CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IConnectionStatusStore"/> through PostgREST with the service-role key (through <see cref="PostgrestClient"/>, as
/// <see cref="PostgrestTokenStore"/>). Filters name the user id, the integration and the version, never a token.
/// </summary>
public sealed class PostgrestConnectionStatusStore(PostgrestClient postgrest) : IConnectionStatusStore
{
    private const string ConnectionsTable = PostgrestTokenStore.ConnectionsTable;
    private const string TokensTable = PostgrestTokenStore.TokensTable;

    public async Task<ConnectionSnapshot?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken)
    {
        using var response = await postgrest.SendAsync("select", ConnectionsTable, HttpMethod.Get,
            $"select=status,last_sync_at,error_message,config,updated_at&{ConnectionFilter(userId)}&limit=1", null, null, cancellationToken);
        var rows = await ReadArrayAsync(response, "select", ConnectionsTable, cancellationToken);
        if (rows.Count == 0 || rows[0] is not JsonObject row) return null;
        return new ConnectionSnapshot(Str(row, "status") ?? "", Time(row, "last_sync_at"), Str(row, "error_message"), row["config"]?.DeepClone(), Str(row, "updated_at"));
    }

    public async Task<bool> WriteStatusAsync(Guid userId, ConnectionSnapshot? asRead, ConnectionStatusWrite write, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["status"] = write.Status,
            ["error_message"] = write.ErrorMessage,
            ["last_checked_at"] = write.CheckedAt,
        };
        if (write.LastSyncAt is { } syncAt) body["last_sync_at"] = syncAt;

        if (asRead is null)
        {
            body["user_id"] = userId;
            body["integration_id"] = ConnectionRow.IntegrationId;
            body["config"] = new JsonObject { ["rc_email"] = write.RcEmail };
            using var inserted = await postgrest.SendAsync("insert", ConnectionsTable, HttpMethod.Post, "", body, "return=minimal", cancellationToken, conflictIsAnAnswer: true);
            return inserted.StatusCode != HttpStatusCode.Conflict;
        }

        // config is sent only to add or correct rc_email, merged into the keys the row has (as read: the version filter
        // guarantees nothing changed them since).
        var config = asRead.Config as JsonObject;
        if (config?["rc_email"] is not JsonValue email || email.GetValueKind() != JsonValueKind.String || email.GetValue<string>() != write.RcEmail)
        {
            var merged = config?.DeepClone().AsObject() ?? new JsonObject();
            merged["rc_email"] = write.RcEmail;
            body["config"] = merged;
        }

        var version = asRead.Version is null ? "updated_at=is.null" : "updated_at=eq." + Uri.EscapeDataString(asRead.Version);
        using var response = await postgrest.SendAsync("update", ConnectionsTable, HttpMethod.Patch,
            $"select=updated_at&{ConnectionFilter(userId)}&{version}", body, "return=representation", cancellationToken);
        return (await ReadArrayAsync(response, "update", ConnectionsTable, cancellationToken)).Count > 0;
    }

    /// <summary>A <c>refresh_token</c> starting with this holds the ERP's shared JWT credential, not a user's token.</summary>
    public const string SharedJwtPrefix = "jwt:";

    public async Task<bool> InsertSharedJwtRowAsync(Guid userId, string rcEmail, string jwt, string accessToken, DateTimeOffset accessTokenExpiresAt,
        CancellationToken cancellationToken)
    {
        using var response = await postgrest.SendAsync("insert", TokensTable, HttpMethod.Post, "", new JsonObject
        {
            ["user_id"] = userId,
            ["rc_email"] = rcEmail,
            ["refresh_token"] = SharedJwtPrefix + jwt,
            ["access_token"] = accessToken,
            ["token_expires_at"] = accessTokenExpiresAt,
        }, "return=minimal", cancellationToken, conflictIsAnAnswer: true);
        return response.StatusCode != HttpStatusCode.Conflict;
    }

    private async Task<JsonArray> ReadArrayAsync(HttpResponseMessage response, string operation, string table, CancellationToken cancellationToken) =>
        await postgrest.ReadJsonAsync(response, operation, table, cancellationToken) as JsonArray
        ?? throw new TokenStoreException(operation, table, (int)response.StatusCode, null);
}
