using Microsoft.AspNetCore.Http;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// The JSON answers (<c>{"error":"…"}</c>, <c>Cache-Control: no-store</c>) for requests no handler takes: an unknown
/// route (404), a route with another method (405, with <c>Allow</c>), a request line or headers over the limits
/// (414, 431). The local host answers all four with them; the Functions app the 405 (each function takes every
/// common method and refuses the wrong one itself). Azure answers 404, 414 and 431 before the app runs (README).
/// </summary>
public static class ErrorAnswers
{
    public const string NotFound = "No such route.";
    public const string MethodNotAllowed = "This route does not accept this method.";
    public const string RequestLineTooLong = "Request URL too long.";
    public const string HeadersTooLarge = "Request headers too large.";

    /// <summary>The methods a Functions app's HTTP trigger lists so that a wrong one reaches the function (and gets 405), not the host's bare 404.</summary>
    public const string Get = "get", Post = "post", Put = "put", Patch = "patch", Delete = "delete";

    public static IResult For(HttpRequest request, int status) => ApiResponses.Error(request, status, status switch
    {
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status414UriTooLong => RequestLineTooLong,
        StatusCodes.Status431RequestHeaderFieldsTooLarge => HeadersTooLarge,
        _ => ApiResponses.Unexpected,
    });

    /// <summary>
    /// For a function that takes every common method: runs <paramref name="handle"/> for <paramref name="allowed"/>,
    /// else answers 405 JSON with <c>Allow</c>.
    /// </summary>
    public static Task<IResult> OnlyFor(string allowed, HttpRequest request, Func<Task<IResult>> handle)
    {
        if (string.Equals(request.Method, allowed, StringComparison.OrdinalIgnoreCase)) return handle();
        request.HttpContext.Response.Headers.Allow = allowed.ToUpperInvariant();
        return Task.FromResult(For(request, StatusCodes.Status405MethodNotAllowed));
    }
}
