using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Secrets;

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

    /// <summary>Inserts a token row without a code verifier; false when the user already has one (nothing changed).</summary>
    Task<bool> InsertTokenRowAsync(Guid userId, string rcEmail, string refreshToken, string accessToken, DateTimeOffset accessTokenExpiresAt,
        CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IConnectionStatusStore"/> through PostgREST with the service-role key (the same client and key handling as
/// <see cref="PostgrestTokenStore"/>). Filters name the user id, the integration and the version, never a token.
/// </summary>
public sealed class PostgrestConnectionStatusStore(
    IHttpClientFactory httpClients,
    IOptions<SupabaseOptions> options,
    ISecretSource secrets,
    ILogger<PostgrestConnectionStatusStore> logger) : IConnectionStatusStore
{
    private const string ConnectionsTable = PostgrestTokenStore.ConnectionsTable;
    private const string TokensTable = PostgrestTokenStore.TokensTable;

    public async Task<ConnectionSnapshot?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("select", ConnectionsTable, HttpMethod.Get,
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
            using var inserted = await SendAsync("insert", ConnectionsTable, HttpMethod.Post, "", body, "return=minimal", cancellationToken, conflictIsAnAnswer: true);
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
        using var response = await SendAsync("update", ConnectionsTable, HttpMethod.Patch,
            $"select=updated_at&{ConnectionFilter(userId)}&{version}", body, "return=representation", cancellationToken);
        return (await ReadArrayAsync(response, "update", ConnectionsTable, cancellationToken)).Count > 0;
    }

    public async Task<bool> InsertTokenRowAsync(Guid userId, string rcEmail, string refreshToken, string accessToken, DateTimeOffset accessTokenExpiresAt,
        CancellationToken cancellationToken)
    {
        using var response = await SendAsync("insert", TokensTable, HttpMethod.Post, "", new JsonObject
        {
            ["user_id"] = userId,
            ["rc_email"] = rcEmail,
            ["refresh_token"] = refreshToken,
            ["access_token"] = accessToken,
            ["token_expires_at"] = accessTokenExpiresAt,
        }, "return=minimal", cancellationToken, conflictIsAnAnswer: true);
        return response.StatusCode != HttpStatusCode.Conflict;
    }

    private static string ConnectionFilter(Guid userId) => $"user_id=eq.{userId}&integration_id=eq.{ConnectionRow.IntegrationId}";

    private async Task<JsonArray> ReadArrayAsync(HttpResponseMessage response, string operation, string table, CancellationToken cancellationToken)
    {
        try
        {
            var node = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return node as JsonArray ?? throw new JsonException("not an array");
        }
        catch (JsonException ex)
        {
            Log.StoreRequestFailed(logger, operation, table, (int)response.StatusCode, "not-json");
            throw new TokenStoreException(operation, table, (int)response.StatusCode, null, ex);
        }
    }

    /// <summary>One request; a success (or, with <paramref name="conflictIsAnAnswer"/>, a 409 <c>23505</c>) is returned, anything else thrown as <see cref="TokenStoreException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(string operation, string table, HttpMethod method, string query,
        JsonObject? body, string? prefer, CancellationToken cancellationToken, bool conflictIsAnAnswer = false)
    {
        var key = (await secrets.GetAsync(AppSecret.SupabaseServiceRoleKey, cancellationToken)).Require(AppSecret.SupabaseServiceRoleKey);
        var url = $"{options.Value.Url!.TrimEnd('/')}/rest/v1/{table}" + (query.Length > 0 ? "?" + query : "");
        using var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation("apikey", key);
        if (PostgrestTokenStore.IsJwt(key)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (prefer is not null) request.Headers.TryAddWithoutValidation("Prefer", prefer);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");

        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(PostgrestTokenStore.HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TimeoutException or Polly.ExecutionRejectedException)
        {
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            Log.StoreRequestFailed(logger, operation, table, null, "no-response");
            throw new TokenStoreException(operation, table, null, null, ex);
        }

        if (response.IsSuccessStatusCode) return response;

        using (response)
        {
            var code = await ErrorCodeAsync(response, cancellationToken);
            if (conflictIsAnAnswer && response.StatusCode == HttpStatusCode.Conflict && code == "23505")
                return new HttpResponseMessage(HttpStatusCode.Conflict);
            Log.StoreRequestFailed(logger, operation, table, (int)response.StatusCode, code);
            throw new TokenStoreException(operation, table, (int)response.StatusCode, code);
        }
    }

    /// <summary>PostgREST's short error <c>code</c> only (its message and details may quote row values).</summary>
    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var code = json?["code"]?.GetValueKind() == JsonValueKind.String ? json["code"]!.GetValue<string>() : null;
            return code is { Length: <= 16 } && code.All(char.IsAsciiLetterOrDigit) ? code : null;
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? Str(JsonObject row, string name) =>
        row[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static DateTimeOffset? Time(JsonObject row, string name) =>
        Str(row, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;
}
