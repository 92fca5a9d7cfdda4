using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>A signed-in user's email as Supabase Auth holds it, for a user whose access token carries none.</summary>
public interface ISupabaseUserDirectory
{
    /// <summary>The user's email; null when the user has none, is unknown, or Auth did not answer (logged).</summary>
    Task<string?> GetEmailAsync(Guid userId, CancellationToken cancellationToken);
}

/// <summary>
/// Supabase Auth's admin API, <c>GET {Supabase:Url}/auth/v1/admin/users/{id}</c>, with the service-role key sent as
/// <c>apikey</c> (and as <c>Authorization: Bearer</c> only when it is a legacy JWT key, as for PostgREST). Only the
/// <c>email</c> field is read; the rest of the user record is never kept or logged.
/// </summary>
public sealed class SupabaseUserDirectory(
    IHttpClientFactory httpClients,
    IOptions<SupabaseOptions> options,
    ISecretSource secrets,
    ILogger<SupabaseUserDirectory> logger) : ISupabaseUserDirectory
{
    public const string HttpClientName = "Supabase.AuthAdmin";

    public async Task<string?> GetEmailAsync(Guid userId, CancellationToken cancellationToken)
    {
        var key = (await secrets.GetAsync(AppSecret.SupabaseServiceRoleKey, cancellationToken)).Require(AppSecret.SupabaseServiceRoleKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{options.Value.Url!.TrimEnd('/')}/auth/v1/admin/users/{userId}");
        request.Headers.TryAddWithoutValidation("apikey", key);
        if (PostgrestClient.IsJwt(key)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                Log.UserEmailLookupFailed(logger, userId, (int)response.StatusCode);
                return null;
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("email", out var email) && email.ValueKind == JsonValueKind.String
                && email.GetString() is { Length: > 0 and <= 254 } value && !string.IsNullOrWhiteSpace(value)
                    ? value.Trim()
                    : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException or TimeoutException or Polly.ExecutionRejectedException)
        {
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            Log.UserEmailLookupFailed(logger, userId, null);
            return null;
        }
    }
}
