using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>
/// One connect as the ERP page makes it, in its three requests: auth-url (made ahead, with the fake's authorize page:
/// the callback URL with code and state), the Callback (302 to the ERP page with <c>#ticket=</c>), and Complete (the
/// ticket posted with the same user's Supabase token). Used by both paths.
/// </summary>
internal sealed class ConnectPair(string callbackUrl, string bearer)
{
    /// <summary>Carries the pair's index on a callback request, so the check can keep the ticket.</summary>
    public static readonly HttpRequestOptionsKey<int> IndexKey = new("bench-pair-index");

    public string CallbackUrl { get; } = callbackUrl;
    public string Bearer { get; } = bearer;

    /// <summary>Set from the Callback's answer; Complete needs it within 2 minutes.</summary>
    public string? Ticket { get; set; }

    /// <summary>auth-url for a fresh user, then the fake's authorize page (its 302 is not followed).</summary>
    public static async Task<ConnectPair> MakeAsync(HttpClient client, FakeSupabase supabase, string callbackUrl, int i)
    {
        var bearer = supabase.MintAccessToken(Guid.NewGuid(), $"user{i}@example.test");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ringcentral/auth-url");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        using var authorize = await client.GetAsync(json.RootElement.GetProperty("authUrl").GetString());
        var location = authorize.Headers.Location?.ToString();
        if (authorize.StatusCode != HttpStatusCode.Redirect || location is null || !location.StartsWith(callbackUrl + "?", StringComparison.Ordinal))
            throw new InvalidOperationException($"authorize answered {authorize.StatusCode} {location}");
        return new ConnectPair(location, bearer);
    }

    public HttpRequestMessage CallbackRequest(int index)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, CallbackUrl);
        request.Options.Set(IndexKey, index);
        return request;
    }

    /// <summary>The ticket of a successful Callback answer (302, <c>status=success</c>, <c>#ticket=...</c>), else null.</summary>
    public static string? TicketOf(HttpResponseMessage response)
    {
        var location = response.Headers.Location;
        if (response.StatusCode != HttpStatusCode.Redirect || location is null || !location.IsAbsoluteUri) return null;
        if (!location.Query.Contains("status=success", StringComparison.Ordinal)) return null;
        const string prefix = "#ticket=";
        return location.Fragment.StartsWith(prefix, StringComparison.Ordinal) && location.Fragment.Length > prefix.Length
            ? location.Fragment[prefix.Length..]
            : null;
    }

    public HttpRequestMessage CompleteRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/ringcentral/complete")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { ticket = Ticket ?? "" }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Bearer);
        return request;
    }

    /// <summary>Complete answered 200 <c>{"status":"connected",...}</c> (the body is already buffered).</summary>
    public static bool Connected(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK) return false;
        using var json = JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        return json.RootElement.TryGetProperty("status", out var status) && status.GetString() == "connected";
    }
}
