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

    /// <summary>Calls the Callback; asserts a 302 to the ERP page and returns its query.</summary>
    public static async Task<CallbackOutcome> CallbackAsync(this IServiceUnderTest service, string callbackUrl)
    {
        using var response = await service.Client.GetAsync(callbackUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith(service.AppRedirectUrl + "?", location);
        var query = QueryHelpers.ParseQuery(new Uri(location).Query);
        return new CallbackOutcome(location, query.ToDictionary(q => q.Key, q => q.Value.ToString()));
    }

    /// <summary>auth-url, authorize, callback for one user.</summary>
    public static async Task<CallbackOutcome> ConnectAsync(this IServiceUnderTest service, Guid userId, string? email = null) =>
        await service.CallbackAsync((await service.AuthorizeAsync(await service.GetAuthUrlAsync(userId, email))).ToString());
}
