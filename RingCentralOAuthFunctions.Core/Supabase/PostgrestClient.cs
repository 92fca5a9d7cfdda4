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
/// One PostgREST request (<c>{Supabase:Url}/rest/v1/&lt;table or rpc/function&gt;</c>) with the service-role key, for the
/// stores of this folder. The key is sent as <c>apikey</c>, and also as <c>Authorization: Bearer</c> only when it is a
/// legacy JWT key (as supabase-js does; a new <c>sb_secret_</c> key is not a JWT). A failure is logged once
/// (<c>StoreRequestFailed</c>, with PostgREST's short error code only: its message and details may quote row values)
/// and thrown as <see cref="TokenStoreException"/>, as is a service key that cannot be read (not logged here: Health names it).
/// </summary>
public sealed class PostgrestClient(
    IHttpClientFactory httpClients,
    IOptions<SupabaseOptions> options,
    ISecretSource secrets,
    ILogger<PostgrestClient> logger)
{
    public const string HttpClientName = "Supabase.Rest";

    /// <summary>
    /// Sends one request; a success (or, with <paramref name="conflictIsAnAnswer"/>, a 409 <c>23505</c>, answered as an
    /// empty 409) is returned, anything else thrown.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(string operation, string table, HttpMethod method, string query,
        JsonObject? body, string? prefer, CancellationToken cancellationToken, bool conflictIsAnAnswer = false)
    {
        string key;
        try
        {
            key = (await secrets.GetAsync(AppSecret.SupabaseServiceRoleKey, cancellationToken)).Require(AppSecret.SupabaseServiceRoleKey);
        }
        catch (SecretUnavailableException ex)
        {
            throw new TokenStoreException(operation, table, null, null, ex);
        }
        var url = $"{options.Value.Url!.TrimEnd('/')}/rest/v1/{table}" + (query.Length > 0 ? "?" + query : "");
        using var request = new HttpRequestMessage(method, url);
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
            var code = await ErrorCodeAsync(response, cancellationToken);
            if (conflictIsAnAnswer && response.StatusCode == HttpStatusCode.Conflict && code == "23505")
                return new HttpResponseMessage(HttpStatusCode.Conflict);
            Log.StoreRequestFailed(logger, operation, table, (int)response.StatusCode, code);
            throw new TokenStoreException(operation, table, (int)response.StatusCode, code);
        }
    }

    /// <summary>A successful answer's JSON body; a body that is not JSON is a failure like any other.</summary>
    public async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, string operation, string table, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            Log.StoreRequestFailed(logger, operation, table, (int)response.StatusCode, "not-json");
            throw new TokenStoreException(operation, table, (int)response.StatusCode, null, ex);
        }
    }

    /// <summary>A legacy Supabase key is a JWT (three base64url parts, header starting <c>eyJ</c>).</summary>
    internal static bool IsJwt(string key) => key.StartsWith("eyJ", StringComparison.Ordinal) && key.Count(c => c == '.') == 2;

    /// <summary>The filter of the user's RingCentral row in <c>integration_connections</c>.</summary>
    internal static string ConnectionFilter(Guid userId) => $"user_id=eq.{userId}&integration_id=eq.{ConnectionRow.IntegrationId}";

    internal static string? Str(JsonObject row, string name) =>
        row[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    internal static DateTimeOffset? Time(JsonObject row, string name) =>
        Str(row, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;

    /// <summary>PostgREST's error body is <c>{code, message, details, hint}</c>; only a short alphanumeric <c>code</c> is kept.</summary>
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
}
