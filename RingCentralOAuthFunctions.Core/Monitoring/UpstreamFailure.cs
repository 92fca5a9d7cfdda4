using System.Net.Sockets;
using Azure;
using Polly.Timeout;

namespace RingCentralOAuthFunctions.Monitoring;

/// <summary>
/// How an upstream call failed, in a few fixed words for one log line: "timeout", "connection refused",
/// "host not found", "HTTP 503". Never an exception message (those can carry URLs with query strings).
/// </summary>
public static class UpstreamFailure
{
    public static string Describe(Exception exception)
    {
        switch (exception)
        {
            case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                return Describe(aggregate.InnerExceptions[^1]) + $" after {aggregate.InnerExceptions.Count} attempts";
            case TimeoutRejectedException or TimeoutException or OperationCanceledException:
                return "timeout";
            case RequestFailedException { Status: > 0 } failed:
                return $"HTTP {failed.Status}";
            case HttpRequestException { StatusCode: { } status }:
                return $"HTTP {(int)status}";
            case HttpRequestException http:
                if (Find<SocketException>(http) is { } socket)
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                        SocketError.TimedOut => "timeout",
                        SocketError.ConnectionReset or SocketError.ConnectionAborted => "connection reset",
                        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                        var other => $"network error {other}",
                    };
                return http.HttpRequestError switch
                {
                    HttpRequestError.NameResolutionError => "host not found",
                    HttpRequestError.ConnectionError => "connection failed",
                    HttpRequestError.SecureConnectionError => "TLS handshake failed",
                    HttpRequestError.ResponseEnded => "connection closed before the answer",
                    HttpRequestError.InvalidResponse => "invalid HTTP answer",
                    var other => $"HTTP error {other}",
                };
            case RequestFailedException:
                return Find<SocketException>(exception) is not null || exception.InnerException is HttpRequestException
                    ? Describe(exception.InnerException!)
                    : "no answer";
            default:
                // Azure.Identity's credential failures, a broken answer body, ...: the type says enough.
                return exception.GetType().Name;
        }
    }

    private static T? Find<T>(Exception exception) where T : Exception
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }
}
