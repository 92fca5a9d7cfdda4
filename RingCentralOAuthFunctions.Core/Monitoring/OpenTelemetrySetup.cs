using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace RingCentralOAuthFunctions.Monitoring;

/// <summary>
/// What the app contributes to OpenTelemetry, whatever the host and exporter: its spans (<see cref="Tracing"/>),
/// its meter (<see cref="Telemetry.MeterName"/>), log records with their message text, and HttpClient spans whose URL has no query string and which
/// record no headers. The Functions app adds the worker defaults and the Azure Monitor exporter; the tests add the
/// in-memory exporter.
/// </summary>
public static class OpenTelemetrySetup
{
    public static IOpenTelemetryBuilder AddRingCentralOAuthInstrumentation(this IOpenTelemetryBuilder builder)
    {
        builder.WithTracing(tracing => tracing
            .AddSource(Tracing.SourceName)
            .AddHttpClientInstrumentation(options =>
            {
                // The default url.full keeps the query (redacting only its values); PostgREST filters, the callback's
                // code and state, and IMDS parameters live there. Scheme, host, port and path only.
                options.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    if (request.RequestUri is { IsAbsoluteUri: true } uri)
                        activity.SetTag("url.full", WithoutQuery(uri));
                };
                options.RecordException = false;
            }));
        builder.WithMetrics(metrics => metrics.AddMeter(Telemetry.MeterName));
        // Log records keep their message text, so `traces.message` reads as it did with the Application Insights SDK
        // (the Operate queries fall back to its first word, the event name).
        builder.WithLogging(configureBuilder: null, configureOptions: options => options.IncludeFormattedMessage = true);
        return builder;
    }

    /// <summary><paramref name="uri"/> without query, fragment or user info.</summary>
    public static string WithoutQuery(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}
