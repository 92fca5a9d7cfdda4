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
/// The two ERP tables through PostgREST (<c>{Supabase:Url}/rest/v1</c>) with the service-role key, which is
/// sent as <c>apikey</c>, and also as <c>Authorization: Bearer</c> only when it is a legacy JWT key (as supabase-js
/// does; a new <c>sb_secret_</c> key is not a JWT). The connection row is upserted (<c>POST ?on_conflict=...</c> with
/// <c>Prefer: resolution=merge-duplicates,return=minimal</c>). The token row is written conditionally: a plain insert
/// (409 <c>23505</c> when the user has a row), or a <c>PATCH</c>/<c>DELETE</c> filtered on the <c>updated_at</c> that was
/// read, with <c>Prefer: return=representation</c> and <c>select=updated_at</c>, so the answer says whether a row
/// matched and gives the new version (never the tokens). Filters name the version, never a token: query strings end
/// up in Supabase's API logs. Every filter is on the caller's user id.
/// </summary>
public sealed class PostgrestTokenStore(
    IHttpClientFactory httpClients,
    IOptions<SupabaseOptions> options,
    ISecretSource secrets,
    ILogger<PostgrestTokenStore> logger) : ITokenStore
{
    public const string HttpClientName = "Supabase.Rest";
    public const string TokensTable = "user_ringcentral_tokens";
    public const string ConnectionsTable = "integration_connections";

    public async Task<TokenRow?> GetTokensAsync(Guid userId, CancellationToken cancellationToken)
    {
        var row = await SelectOneAsync(TokensTable, $"user_id=eq.{userId}",
            "rc_email,refresh_token,access_token,token_expires_at,code_verifier,updated_at", cancellationToken);
        return row is null ? null : new TokenRow(userId, Str(row, "rc_email") ?? "", Str(row, "refresh_token") ?? "",
            Str(row, "access_token"), Time(row, "token_expires_at"), Str(row, "code_verifier"), Str(row, "updated_at"));
    }

    public async Task<TokenRowSummary?> GetTokenSummaryAsync(Guid userId, CancellationToken cancellationToken)
    {
        var row = await SelectOneAsync(TokensTable, $"user_id=eq.{userId}", "rc_email,updated_at", cancellationToken);
        return row is null ? null : new TokenRowSummary(Str(row, "rc_email") ?? "", Time(row, "updated_at"));
    }

    public async Task<StoredRefreshToken?> GetRefreshTokenAsync(Guid userId, CancellationToken cancellationToken)
    {
        var row = await SelectOneAsync(TokensTable, $"user_id=eq.{userId}", "refresh_token,updated_at", cancellationToken);
        return row is null ? null : new StoredRefreshToken(Str(row, "refresh_token") ?? "", Str(row, "updated_at"));
    }

    public async Task<ConnectionRow?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken)
    {
        var row = await SelectOneAsync(ConnectionsTable, ConnectionFilter(userId),
            "status,last_checked_at,last_sync_at,error_message,config", cancellationToken);
        return row is null ? null : new ConnectionRow(userId, Str(row, "status") ?? "", Time(row, "last_checked_at"),
            Time(row, "last_sync_at"), Str(row, "error_message"), row["config"] as JsonObject);
    }

    public async Task<string?> InsertTokensAsync(TokenRow row, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("insert", TokensTable, HttpMethod.Post, "select=updated_at", TokenBody(row),
            "return=representation", cancellationToken, conflictIsAnAnswer: true);
        return response.StatusCode == HttpStatusCode.Conflict ? null : await WrittenVersionAsync(response, "insert", TokensTable, cancellationToken);
    }

    public async Task<string?> ReplaceTokensAsync(TokenRow row, string? expectedVersion, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("update", TokensTable, HttpMethod.Patch,
            $"select=updated_at&user_id=eq.{row.UserId}&{VersionFilter(expectedVersion)}", TokenBody(row), "return=representation", cancellationToken);
        return await WrittenVersionAsync(response, "update", TokensTable, cancellationToken);
    }

    public async Task<bool> DeleteTokensAsync(Guid userId, string? expectedVersion, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("delete", TokensTable, HttpMethod.Delete,
            $"select=updated_at&user_id=eq.{userId}&{VersionFilter(expectedVersion)}", null, "return=representation", cancellationToken);
        return await WrittenVersionAsync(response, "delete", TokensTable, cancellationToken) is not null;
    }

    private static JsonObject TokenBody(TokenRow row) => new()
    {
        ["user_id"] = row.UserId,
        ["rc_email"] = row.RcEmail,
        ["refresh_token"] = row.RefreshToken,
        ["access_token"] = row.AccessToken,
        ["token_expires_at"] = row.TokenExpiresAt,
        ["code_verifier"] = row.CodeVerifier,
    };

    private static string VersionFilter(string? version) =>
        version is null ? "updated_at=is.null" : "updated_at=eq." + Uri.EscapeDataString(version);

    public Task UpsertConnectionAsync(ConnectionRow row, CancellationToken cancellationToken) =>
        UpsertAsync(ConnectionsTable, "user_id,integration_id", new JsonObject
        {
            ["user_id"] = row.UserId,
            ["integration_id"] = ConnectionRow.IntegrationId,
            ["status"] = row.Status,
            ["last_checked_at"] = row.LastCheckedAt,
            ["last_sync_at"] = row.LastSyncAt,
            ["error_message"] = row.ErrorMessage,
            ["config"] = row.Config?.DeepClone() ?? new JsonObject(),
        }, cancellationToken);

    public async Task RestoreConnectionAsync(Guid userId, ConnectionRow? previous, DateTimeOffset writtenSyncAt, CancellationToken cancellationToken)
    {
        // The stamp is written by the same serializer as the upsert's body, so the filter names exactly that value.
        var filter = $"{ConnectionFilter(userId)}&last_sync_at=eq.{Uri.EscapeDataString(JsonValue.Create(writtenSyncAt).ToJsonString().Trim('"'))}";
        using var response = previous is null
            ? await SendAsync("delete", ConnectionsTable, HttpMethod.Delete, filter, null, "return=minimal", cancellationToken)
            : await SendAsync("update", ConnectionsTable, HttpMethod.Patch, filter, new JsonObject
            {
                ["status"] = previous.Status,
                ["last_checked_at"] = previous.LastCheckedAt,
                ["last_sync_at"] = previous.LastSyncAt,
                ["error_message"] = previous.ErrorMessage,
                ["config"] = previous.Config?.DeepClone() ?? new JsonObject(),
            }, "return=minimal", cancellationToken);
    }

    public async Task DeleteConnectionAsync(Guid userId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("delete", ConnectionsTable, HttpMethod.Delete, ConnectionFilter(userId), null, "return=minimal", cancellationToken);
    }

    public async Task MarkConnectionCheckedAsync(Guid userId, DateTimeOffset checkedAt, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("update", ConnectionsTable, HttpMethod.Patch, ConnectionFilter(userId),
            new JsonObject { ["last_checked_at"] = checkedAt }, "return=minimal", cancellationToken);
    }

    private static string ConnectionFilter(Guid userId) => $"user_id=eq.{userId}&integration_id=eq.{ConnectionRow.IntegrationId}";

    private async Task UpsertAsync(string table, string onConflict, JsonObject body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("upsert", table, HttpMethod.Post, $"on_conflict={onConflict}", body,
            "resolution=merge-duplicates,return=minimal", cancellationToken);
    }

    /// <summary>The <c>updated_at</c> of the first row a <c>return=representation</c> write answered with; null when it matched no row.</summary>
    private async Task<string?> WrittenVersionAsync(HttpResponseMessage response, string operation, string table, CancellationToken cancellationToken)
    {
        try
        {
            var rows = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            if (rows is not JsonArray array) throw new JsonException("not an array");
            return array.Count == 0 ? null : array[0] is JsonObject row && Str(row, "updated_at") is { } version ? version : "";
        }
        catch (JsonException ex)
        {
            Log.StoreRequestFailed(logger, operation, table, (int)response.StatusCode, "not-json");
            throw new TokenStoreException(operation, table, (int)response.StatusCode, null, ex);
        }
    }

    private async Task<JsonObject?> SelectOneAsync(string table, string filter, string columns, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("select", table, HttpMethod.Get, $"select={columns}&{filter}&limit=1", null, null, cancellationToken);
        try
        {
            var rows = await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return rows is JsonArray { Count: > 0 } array ? array[0] as JsonObject : null;
        }
        catch (JsonException ex)
        {
            Log.StoreRequestFailed(logger, "select", table, (int)response.StatusCode, "not-json");
            throw new TokenStoreException("select", table, (int)response.StatusCode, null, ex);
        }
    }

    /// <summary>Sends one request; a success (or, with <paramref name="conflictIsAnAnswer"/>, a 409 <c>23505</c>) is returned, anything else thrown.</summary>
    private async Task<HttpResponseMessage> SendAsync(string operation, string table, HttpMethod method, string query,
        JsonObject? body, string? prefer, CancellationToken cancellationToken, bool conflictIsAnAnswer = false)
    {
        var key = (await secrets.GetAsync(AppSecret.SupabaseServiceRoleKey, cancellationToken)).Require(AppSecret.SupabaseServiceRoleKey);
        using var request = new HttpRequestMessage(method, $"{options.Value.Url!.TrimEnd('/')}/rest/v1/{table}?{query}");
        request.Headers.TryAddWithoutValidation("apikey", key);
        if (IsJwt(key)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (prefer is not null) request.Headers.TryAddWithoutValidation("Prefer", prefer);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");

        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
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
            var code = await PostgrestErrorCodeAsync(response, cancellationToken);
            if (conflictIsAnAnswer && response.StatusCode == HttpStatusCode.Conflict && code == "23505")
                return new HttpResponseMessage(HttpStatusCode.Conflict);
            Log.StoreRequestFailed(logger, operation, table, (int)response.StatusCode, code);
            throw new TokenStoreException(operation, table, (int)response.StatusCode, code);
        }
    }

    /// <summary>PostgREST's error body is <c>{code, message, details, hint}</c>; only the short <c>code</c> is kept (the rest may quote row values).</summary>
    private static async Task<string?> PostgrestErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
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

    /// <summary>A legacy Supabase key is a JWT (three base64url parts, header starting <c>eyJ</c>).</summary>
    internal static bool IsJwt(string key) => key.StartsWith("eyJ", StringComparison.Ordinal) && key.Count(c => c == '.') == 2;

    private static string? Str(JsonObject row, string name) =>
        row[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static DateTimeOffset? Time(JsonObject row, string name) =>
        Str(row, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;
}
