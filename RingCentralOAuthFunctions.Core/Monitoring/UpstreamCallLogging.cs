using Microsoft.Extensions.Logging;

namespace RingCentralOAuthFunctions.Monitoring;

/// <summary>
/// The outermost handler of each upstream HTTP client: when a call ends without an HTTP answer (after the client's
/// retries and timeouts), one <c>UpstreamCallFailed</c> line says which upstream, which path (never the query, which
/// holds user ids and filters) and how it failed (timeout, connection refused, ...), instead of a stack trace per attempt.
/// Calls that got an answer are left to the caller's own line, which has the status. A call the caller itself
/// cancelled is not a failure and is not logged.
/// </summary>
internal sealed class UpstreamCallLogging(string upstream, ILogger logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or TimeoutException or Polly.ExecutionRejectedException)
        {
            Log.UpstreamCallFailed(logger, upstream, request.Method.Method, request.RequestUri?.AbsolutePath ?? "", UpstreamFailure.Describe(ex));
            throw;
        }
    }
}
