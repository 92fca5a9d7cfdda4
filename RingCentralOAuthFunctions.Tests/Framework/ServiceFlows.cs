using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace RingCentralOAuthFunctions.Tests.Framework;

/// <summary>The steps of the popup flow, for any <see cref="IServiceUnderTest"/>.</summary>
public static class ServiceFlows
{
    public static HttpRequestMessage Authorized(HttpMethod method, string path, string accessToken)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return request;
    }

    /// <summary>POST auth-url as <paramref name="userId"/>; returns the authorize URL.</summary>
    public static async Task<string> GetAuthUrlAsync(this IServiceUnderTest service, Guid userId, string? email = null)
    {
        using var response = await service.Client.SendAsync(Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", service.Supabase.MintAccessToken(userId, email)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("authUrl").GetString()!;
    }

    /// <summary>Plays the user at RingCentral's authorize page: returns where RingCentral redirects the popup.</summary>
    public static async Task<Uri> AuthorizeAsync(this IServiceUnderTest service, string authUrl)
    {
        using var response = await service.Client.GetAsync(authUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    /// <summary>Calls the Callback; asserts a 302 to the ERP page and returns its query and the fragment's ticket.</summary>
    public static Task<CallbackOutcome> CallbackAsync(this IServiceUnderTest service, Uri callbackUrl) => service.CallbackAsync(callbackUrl.ToString());

    public static async Task<CallbackOutcome> CallbackAsync(this IServiceUnderTest service, string callbackUrl)
    {
        using var response = await service.Client.GetAsync(callbackUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith(service.AppRedirectUrl + "?", location);
        var uri = new Uri(location);
        var query = QueryHelpers.ParseQuery(uri.Query);
        var ticket = uri.Fragment.StartsWith("#ticket=", StringComparison.Ordinal) ? uri.Fragment["#ticket=".Length..] : null;
        if (uri.Fragment.Length > 0) Assert.NotNull(ticket); // the only fragment the Callback ever writes
        return new CallbackOutcome(location, query.ToDictionary(q => q.Key, q => q.Value.ToString()), ticket);
    }

    /// <summary>POSTs <c>{"ticket": …}</c> to Complete as <paramref name="userId"/>; returns the status and the JSON body.</summary>
    public static async Task<CompleteOutcome> CompleteAsync(this IServiceUnderTest service, Guid userId, string? ticket, string? email = null)
    {
        using var request = Authorized(HttpMethod.Post, ServiceHost.CompletePath, service.Supabase.MintAccessToken(userId, email));
        request.Content = JsonContent.Create(new { ticket });
        return await service.SendCompleteAsync(request);
    }

    public static async Task<CompleteOutcome> SendCompleteAsync(this IServiceUnderTest service, HttpRequestMessage request)
    {
        using var response = await service.Client.SendAsync(request);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        return new CompleteOutcome(response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response.Headers.RetryAfter?.Delta);
    }

    /// <summary>
    /// The whole popup flow for one user: auth-url, authorize, callback, then Complete with the callback's ticket
    /// under the same user's session (what the ERP window does). A callback error stops before Complete.
    /// </summary>
    public static async Task<ConnectOutcome> ConnectAsync(this IServiceUnderTest service, Guid userId, string? email = null)
    {
        var callback = await service.CallbackAsync(await service.AuthorizeAsync(await service.GetAuthUrlAsync(userId, email)));
        if (callback.Status != "success") return new ConnectOutcome(callback, null);
        Assert.NotNull(callback.Ticket);
        return new ConnectOutcome(callback, await service.CompleteAsync(userId, callback.Ticket, email));
    }
}
