using Microsoft.AspNetCore.Http;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>JSON answers of the API routes. Error texts are fixed; nothing from an exception or upstream body.</summary>
internal static class ApiResponses
{
    public const string Unauthorized = "Missing or invalid access token. Sign in again.";
    public const string NotConfigured = "The RingCentral connection is not available right now.";
    public const string AuthUnavailable = "Sign-in could not be checked right now. Try again shortly.";
    public const string StoreUnavailable = "The connection store is not available right now. Try again shortly.";
    public const string Unexpected = "Something went wrong. Try again shortly.";

    public static IResult Error(HttpRequest request, int status, string message)
    {
        NoStore(request);
        return Results.Json(new ErrorBody(message), statusCode: status);
    }

    public static IResult Ok<T>(HttpRequest request, T body)
    {
        NoStore(request);
        return Results.Json(body);
    }

    /// <summary>Answers carry user data or sealed state: never cache them.</summary>
    public static void NoStore(HttpRequest request)
    {
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        request.HttpContext.Response.Headers.Pragma = "no-cache";
    }

    public sealed record ErrorBody(string Error);
}
