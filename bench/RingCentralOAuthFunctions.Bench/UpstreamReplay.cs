using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>
/// Complete's upstream calls made directly by the benchmark, in ConnectFlow's order: the claim of the flow
/// (<c>rpc/ringcentral_oauth_claim</c>), the token exchange, the extension lookup (account label), the save
/// (<c>rpc/ringcentral_oauth_save</c>: both rows and the flow's outcome in one call). Four sequential stages, each to
/// the same fakes the service uses: its latency is the floor Complete cannot beat on this machine (4 × AddedDelay plus
/// timer slack, loopback HTTP and the fakes' own work), without any of the service's code.
/// </summary>
internal sealed class UpstreamReplay(FakeRingCentral ringCentral, FakeSupabase supabase, string callbackUrl, HttpClient client)
{
    /// <summary>Sequential upstream stages of one Complete.</summary>
    public const int Stages = 4;

    private static readonly string BasicAuth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}"));

    /// <summary>One replay for a fresh user and flow; its wall time.</summary>
    public async Task<TimeSpan> RunOnceAsync()
    {
        var (userId, claimId) = (Guid.NewGuid(), Guid.NewGuid());
        var marker = Base64Url(RandomNumberGenerator.GetBytes(32));
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var code = ringCentral.IssueCode(callbackUrl, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));

        var start = Stopwatch.GetTimestamp();
        await SendSupabaseAsync(HttpMethod.Post, "rpc/ringcentral_oauth_claim", new JsonObject
        {
            ["p_flow_marker"] = marker, ["p_user_id"] = userId, ["p_claim_id"] = claimId, ["p_max_claims"] = 10, ["p_window_seconds"] = 60,
        }, null);
        var (accessToken, refreshToken) = await ExchangeAsync(code, verifier);

        using (var lookup = new HttpRequestMessage(HttpMethod.Get, ringCentral.Url + "/restapi/v1.0/account/~/extension/~"))
        {
            lookup.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            using var response = await client.SendAsync(lookup);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsStringAsync();
        }

        await SendSupabaseAsync(HttpMethod.Post, "rpc/ringcentral_oauth_save", new JsonObject
        {
            ["p_flow_marker"] = marker, ["p_user_id"] = userId, ["p_claim_id"] = claimId, ["p_rc_email"] = "user@example.test",
            ["p_refresh_token"] = refreshToken, ["p_access_token"] = accessToken, ["p_token_expires_at"] = DateTimeOffset.UtcNow.AddHours(1),
        }, null);
        return Stopwatch.GetElapsedTime(start);
    }

    private async Task<(string AccessToken, string RefreshToken)> ExchangeAsync(string code, string verifier)
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
        return (json.RootElement.GetProperty("access_token").GetString()!, json.RootElement.GetProperty("refresh_token").GetString()!);
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
