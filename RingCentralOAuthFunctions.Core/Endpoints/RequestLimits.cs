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
