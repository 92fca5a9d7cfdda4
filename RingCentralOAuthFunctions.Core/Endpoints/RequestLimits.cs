using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// Only Complete reads a body (a small JSON object), so any sizeable one is abuse: it is refused before any work, by its declared
/// length or, for a body without one (chunked), by reading at most one byte past the limit. A server's own body
/// limit is not enough, since it applies only when a body is read. The local host also sets Kestrel's limits.
/// </summary>
public static class RequestLimits
{
    public const long MaxBodyBytes = 16 * 1024;

    /// <summary>The request line (method, target, version) and the headers the local host accepts, as the Functions test host's front.</summary>
    public const int MaxRequestLineBytes = 8 * 1024, MaxHeaderBytes = 32 * 1024, MaxHeaderCount = 100;

    /// <summary>
    /// 414 or 431 when the request line or the headers are over the limits, else null. The local host checks this
    /// itself (its server's own limits are set higher, as a backstop) so that the refusal is a JSON answer; sizes are
    /// counted as on the wire: <c>name: value</c> and CRLF per header line.
    /// </summary>
    public static int? OversizedHead(HttpRequest request)
    {
        var target = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        if (request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length + 2 > MaxRequestLineBytes)
            return StatusCodes.Status414UriTooLong;

        long total = 0;
        var count = 0;
        foreach (var (name, values) in request.Headers)
            foreach (var value in values)
            {
                count++;
                total += name.Length + 2 + (value?.Length ?? 0) + 2;
            }

        return total > MaxHeaderBytes || count > MaxHeaderCount ? StatusCodes.Status431RequestHeaderFieldsTooLarge : null;
    }

    public static async ValueTask<bool> BodyTooLargeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } length) return length > MaxBodyBytes;
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false }) return false;

        var buffer = new byte[8 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > MaxBodyBytes) return true;
            }
        }
        catch (BadHttpRequestException)
        {
            return true; // the server's own limit tripped first
        }

        return false;
    }

    internal static IResult TooLarge(HttpRequest request) =>
        ApiResponses.Error(request, StatusCodes.Status413PayloadTooLarge, "Request body too large.");
}
