using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;

namespace RingCentralOAuthFunctions.Monitoring;

/// <summary>
/// Times every call to RingCentral, Supabase (PostgREST, JWKS) and Key Vault: a span (child of the function's
/// span, marked failed when the call fails) and a point in <see cref="DurationMetric"/> tagged with the upstream
/// and the outcome, so the portal can count failures per upstream without reading spans.
/// </summary>
public sealed class UpstreamCalls
{
    public const string DurationMetric = "ringcentral.upstream.duration";
    public const string UpstreamDimension = "upstream";
    public const string OutcomeDimension = "outcome";

    /// <summary>Outcomes: answered 2xx/3xx; answered 4xx (not 429); no answer, 5xx or 429; the caller gave up first.</summary>
    public const string Ok = "ok";
    public const string Rejected = "rejected";
    public const string Unavailable = "unavailable";
    public const string Cancelled = "cancelled";

    private readonly Histogram<double> _duration;

    public UpstreamCalls(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Telemetry.MeterName);
        _duration = meter.CreateHistogram<double>(DurationMetric, unit: "s",
            description: "Calls to RingCentral, Supabase and Key Vault by upstream and outcome (ok, rejected, unavailable, cancelled)");
    }

    /// <summary>Starts one call: <paramref name="operation"/> is a fixed text such as <c>POST /restapi/oauth/token</c>.</summary>
    public Call Start(string upstream, string operation) => new(this, upstream, operation);

    public static string Classify(HttpStatusCode status) => (int)status switch
    {
        < 400 => Ok,
        429 or >= 500 => Unavailable,
        _ => Rejected,
    };

    /// <summary>One upstream call. Set its outcome with <see cref="Answered"/> or <see cref="Failed"/>, then dispose it.</summary>
    public sealed class Call : IDisposable
    {
        private readonly UpstreamCalls _owner;
        private readonly string _upstream;
        private readonly Activity? _activity;
        private readonly long _started = Stopwatch.GetTimestamp();
        private string? _outcome;

        internal Call(UpstreamCalls owner, string upstream, string operation)
        {
            _owner = owner;
            _upstream = upstream;
            _activity = Tracing.Source.StartActivity(UpstreamNames.Display(upstream) + " " + operation, ActivityKind.Internal);
            _activity?.SetTag(Tracing.UpstreamAttribute, upstream);
        }

        /// <summary>The upstream answered with <paramref name="status"/>.</summary>
        public void Answered(HttpStatusCode status) => Answered((int)status, Classify(status));

        /// <summary>The upstream answered; <paramref name="outcome"/> says whether that counts as a failure.</summary>
        public void Answered(int status, string outcome)
        {
            _outcome = outcome;
            _activity?.SetTag("http.response.status_code", status);
            if (outcome != Ok) _activity?.SetStatus(ActivityStatusCode.Error, "HTTP " + status);
        }

        /// <summary>No usable answer: <paramref name="exception"/>'s type is recorded, never its message.</summary>
        public void Failed(Exception exception, bool callerCancelled)
        {
            _outcome = callerCancelled ? Cancelled : Unavailable;
            _activity?.SetTag("error.type", exception.GetType().FullName);
            _activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        }

        /// <summary>Ends the call. One that ended without an outcome (an exception nobody classified) counts as unavailable and failed.</summary>
        public void Dispose()
        {
            if (_outcome is null)
            {
                _outcome = Unavailable;
                _activity?.SetStatus(ActivityStatusCode.Error, "no answer");
            }

            _activity?.SetTag(Tracing.OutcomeAttribute, _outcome);
            _activity?.Dispose();
            _owner._duration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds,
                new KeyValuePair<string, object?>(UpstreamDimension, _upstream),
                new KeyValuePair<string, object?>(OutcomeDimension, _outcome));
        }
    }
}

internal static class UpstreamNames
{
    public static string Display(string upstream) => upstream switch
    {
        Upstreams.RingCentral => "RingCentral",
        Upstreams.SupabaseRest => "PostgREST",
        Upstreams.SupabaseJwks => "JWKS",
        Upstreams.KeyVault => "KeyVault",
        Upstreams.SupabaseAuth => "SupabaseAuth",
        _ => upstream,
    };

    /// <summary>The name in <c>UpstreamCallFailed</c> lines, as the health checks name the same upstreams.</summary>
    public static string LogName(string upstream) => upstream switch
    {
        Upstreams.RingCentral => "RingCentral",
        Upstreams.SupabaseRest => "Supabase PostgREST",
        Upstreams.SupabaseJwks => "Supabase JWKS",
        Upstreams.KeyVault => "Key Vault",
        Upstreams.SupabaseAuth => "Supabase Auth",
        _ => upstream,
    };
}

/// <summary>
/// Outermost handler of each named upstream HTTP client (outside its retries): one span and one duration point per
/// logical call, and, when the call ends without an HTTP answer (after the client's retries and timeouts), one
/// <c>UpstreamCallFailed</c> line saying which upstream, which path and how it failed (timeout, connection refused,
/// ...), instead of a stack trace per attempt. Calls that got an answer are left to the caller's own line, which has
/// the status; a call the caller itself cancelled is not a failure. Spans and lines name the method and path only:
/// the query string (PostgREST filters, user ids) is never read.
/// </summary>
internal sealed class UpstreamCallHandler(UpstreamCalls calls, string upstream, ILogger logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "/";
        using var call = calls.Start(upstream, request.Method.Method + " " + path);
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            call.Answered(response.StatusCode);
            return response;
        }
        catch (Exception ex)
        {
            call.Failed(ex, cancellationToken.IsCancellationRequested);
            if (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or TimeoutException or Polly.ExecutionRejectedException)
                Log.UpstreamCallFailed(logger, UpstreamNames.LogName(upstream), request.Method.Method, path, UpstreamFailure.Describe(ex));
            throw;
        }
    }
}

public static class UpstreamHttpClientBuilderExtensions
{
    /// <summary>Times and reports this client's calls as <paramref name="upstream"/>; add it before any retry handler so one span and one line cover all attempts.</summary>
    public static IHttpClientBuilder AddUpstreamCalls(this IHttpClientBuilder builder, string upstream) =>
        builder.AddHttpMessageHandler(services => new UpstreamCallHandler(services.GetRequiredService<UpstreamCalls>(), upstream,
            services.GetRequiredService<ILoggerFactory>().CreateLogger("RingCentralOAuthFunctions.Upstream")));
}
