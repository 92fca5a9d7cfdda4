using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>
/// Complete's upstream calls made directly by the benchmark, in Complete's pattern (FlowCompletion, then ConnectFlow):
/// select connection row (replay check); then token exchange ‖ select token row ‖ select connection row; then the
/// extension lookup (account label); then the token row written (a plain insert with <c>return=representation</c>:
/// each replay is a fresh user, so there is no row to PATCH at its <c>updated_at</c>); then the connection row upserted.
/// Five sequential stages: its latency is the floor Complete cannot beat on this machine (5 × AddedDelay plus timer
/// slack, loopback HTTP and the fakes' own work), without any of the service's code.
/// </summary>
internal sealed class UpstreamReplay(FakeRingCentral ringCentral, FakeSupabase supabase, string callbackUrl, HttpClient client)
{
    /// <summary>Sequential upstream stages of one Complete.</summary>
    public const int Stages = 5;

    private static readonly string BasicAuth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}"));
    private const string ConnectionColumns = "status,last_checked_at,last_sync_at,error_message,config";

    /// <summary>One replay for a fresh user; its wall time.</summary>
    public async Task<TimeSpan> RunOnceAsync()
    {
        var userId = Guid.NewGuid();
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var code = ringCentral.IssueCode(callbackUrl, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
        var connectionQuery = $"{FakeSupabase.ConnectionsTable}?select={ConnectionColumns}&user_id=eq.{userId}&integration_id=eq.ringcentral&limit=1";

        var start = Stopwatch.GetTimestamp();
        await SendSupabaseAsync(HttpMethod.Get, connectionQuery, null, null); // the replay check
        var exchange = ExchangeAsync(code, verifier);
        var tokensRow = SendSupabaseAsync(HttpMethod.Get,
            $"{FakeSupabase.TokensTable}?select=rc_email,refresh_token,access_token,token_expires_at,code_verifier,updated_at&user_id=eq.{userId}&limit=1", null, null);
        var connectionRow = SendSupabaseAsync(HttpMethod.Get, connectionQuery, null, null);
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
        await SendSupabaseAsync(HttpMethod.Post, $"{FakeSupabase.TokensTable}?select=updated_at", new JsonObject
        {
            ["user_id"] = userId, ["rc_email"] = "user@example.test", ["refresh_token"] = "rt", ["access_token"] = accessToken,
            ["token_expires_at"] = now.AddHours(1), ["code_verifier"] = null,
        }, "return=representation");
        await SendSupabaseAsync(HttpMethod.Post, $"{FakeSupabase.ConnectionsTable}?on_conflict=user_id,integration_id", new JsonObject
        {
            ["user_id"] = userId, ["integration_id"] = "ringcentral", ["status"] = "connected", ["last_checked_at"] = now,
            ["last_sync_at"] = now, ["error_message"] = null, ["config"] = new JsonObject { ["rc_email"] = "user@example.test", ["flow"] = "replay" },
        }, "resolution=merge-duplicates,return=minimal");
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
