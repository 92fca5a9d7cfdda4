using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Secrets;

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

    /// <summary>
    /// What an API route answers for an exception it did not expect: 503 for a secret that cannot be read (Health names it): the
    /// state key or the shared JWT settings, or the store's service key inside a <see cref="Supabase.TokenStoreException"/>
    /// (RingCentral's client secret is a failure value of the client, never an exception); else 500 with a fixed text; the
    /// exception is logged, never sent.
    /// </summary>
    public static IResult FromException(HttpRequest request, Exception exception, ILogger logger, string endpoint)
    {
        if (exception is SecretUnavailableException or Supabase.TokenStoreException { NotConfigured: true })
            return Error(request, StatusCodes.Status503ServiceUnavailable, NotConfigured);
        Log.UnexpectedError(logger, endpoint, exception);
        return Error(request, StatusCodes.Status500InternalServerError, Unexpected);
    }

    /// <summary>Answers carry user data or sealed state: never cache them.</summary>
    public static void NoStore(HttpRequest request)
    {
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        request.HttpContext.Response.Headers.Pragma = "no-cache";
    }

    public sealed record ErrorBody(string Error);
}
