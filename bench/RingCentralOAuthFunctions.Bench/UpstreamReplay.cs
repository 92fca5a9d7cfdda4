using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>
/// The callback's upstream calls made directly by the benchmark, with the callback's shape: (token exchange ‖ select
/// token row ‖ select connection row), then the extension lookup, then (upsert token row ‖ upsert connection row).
/// Its latency is the floor the service cannot beat on this machine: the 3 × AddedDelay plus timer slack, loopback
/// HTTP and the fakes' own work, without any of the service's code.
/// </summary>
internal sealed class UpstreamReplay(FakeRingCentral ringCentral, FakeSupabase supabase, string callbackUrl, HttpClient client)
{
    private static readonly string BasicAuth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}"));

    /// <summary>One replay for a fresh user; its wall time.</summary>
    public async Task<TimeSpan> RunOnceAsync()
    {
        var userId = Guid.NewGuid();
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var code = ringCentral.IssueCode(callbackUrl, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));

        var start = Stopwatch.GetTimestamp();
        var exchange = ExchangeAsync(code, verifier);
        var tokensRow = SendSupabaseAsync(HttpMethod.Get,
            $"{FakeSupabase.TokensTable}?select=rc_email,refresh_token,access_token,token_expires_at,code_verifier&user_id=eq.{userId}&limit=1", null, null);
        var connectionRow = SendSupabaseAsync(HttpMethod.Get,
            $"{FakeSupabase.ConnectionsTable}?select=status,last_checked_at,last_sync_at,error_message,config&user_id=eq.{userId}&integration_id=eq.ringcentral&limit=1", null, null);
        var accessToken = await exchange;
        await tokensRow;
        await connectionRow;

        using (var lookup = new HttpRequestMessage(HttpMethod.Get, ringCentral.Url + "/restapi/v1.0/account/~/extension/~"))
        {
            lookup.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            using var response = await client.SendAsync(lookup);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsStringAsync();
        }

        var now = DateTimeOffset.UtcNow;
        const string prefer = "resolution=merge-duplicates,return=minimal";
        await Task.WhenAll(
            SendSupabaseAsync(HttpMethod.Post, $"{FakeSupabase.TokensTable}?on_conflict=user_id", new JsonObject
            {
                ["user_id"] = userId, ["rc_email"] = "user@example.test", ["refresh_token"] = "rt", ["access_token"] = accessToken,
                ["token_expires_at"] = now.AddHours(1), ["code_verifier"] = null,
            }, prefer),
            SendSupabaseAsync(HttpMethod.Post, $"{FakeSupabase.ConnectionsTable}?on_conflict=user_id,integration_id", new JsonObject
            {
                ["user_id"] = userId, ["integration_id"] = "ringcentral", ["status"] = "connected", ["last_checked_at"] = now,
                ["last_sync_at"] = now, ["error_message"] = null, ["config"] = new JsonObject { ["rc_email"] = "user@example.test" },
            }, prefer));
        return Stopwatch.GetElapsedTime(start);
    }

    private async Task<string> ExchangeAsync(string code, string verifier)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ringCentral.Url + "/restapi/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = callbackUrl, ["code_verifier"] = verifier,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", BasicAuth);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    private async Task SendSupabaseAsync(HttpMethod method, string pathAndQuery, JsonObject? body, string? prefer)
    {
        using var request = new HttpRequestMessage(method, supabase.Url + "/rest/v1/" + pathAndQuery);
        request.Headers.TryAddWithoutValidation("apikey", supabase.ServiceKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", supabase.ServiceKey);
        if (prefer is not null) request.Headers.TryAddWithoutValidation("Prefer", prefer);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsStringAsync();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
