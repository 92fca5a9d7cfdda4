using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions.Tests.Monitoring;

/// <summary>
/// The app's OpenTelemetry wiring (<see cref="OpenTelemetrySetup.AddRingCentralOAuthInstrumentation"/>, as the
/// Functions app uses it) with in-memory exporters in place of Azure Monitor: spans, metric snapshots and log
/// records, each kept as text the moment it is exported.
/// </summary>
public sealed class TelemetryCapture
{
    public List<Activity> Spans { get; } = [];
    public List<MetricSnapshot> Metrics { get; } = [];
    public List<string> LogRecords { get; } = [];
    private IServiceProvider? _services;

    /// <summary>For <c>ServiceHost.StartAsync(configure: ...)</c>.</summary>
    public void Configure(WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry()
            .AddRingCentralOAuthInstrumentation()
            .WithTracing(t => t.AddInMemoryExporter(Spans))
            .WithMetrics(m => m.AddInMemoryExporter(Metrics))
            .WithLogging(l => l.AddProcessor(new LogText(LogRecords)), o => o.IncludeScopes = true);
    }

    public void Flush(IServiceProvider services)
    {
        _services = services;
        services.GetRequiredService<TracerProvider>().ForceFlush();
        services.GetRequiredService<MeterProvider>().ForceFlush();
    }

    /// <summary>Every name and attribute that left the process: span names, sources, tags, events and statuses; metric names, descriptions and tags; log records.</summary>
    public List<string> ExportedText()
    {
        if (_services is not null) Flush(_services);
        var lines = new List<string>();
        lock (Spans)
            foreach (var span in Spans)
            {
                lines.Add($"span {span.Source.Name} {span.DisplayName} {span.OperationName} {span.Kind} {span.Status} {span.StatusDescription}");
                lines.AddRange(span.TagObjects.Select(t => $"span-tag {t.Key}={t.Value}"));
                lines.AddRange(span.Events.SelectMany(e => e.Tags.Select(t => $"span-event {e.Name} {t.Key}={t.Value}").Append("span-event " + e.Name)));
                lines.AddRange(span.Baggage.Select(b => $"baggage {b.Key}={b.Value}"));
            }

        lock (Metrics)
            foreach (var metric in Metrics)
            {
                lines.Add($"metric {metric.MeterName} {metric.Name} {metric.Description} {metric.Unit}");
                foreach (var point in metric.MetricPoints)
                    foreach (var tag in point.Tags)
                        lines.Add($"metric-tag {metric.Name} {tag.Key}={tag.Value}");
            }

        lock (LogRecords) lines.AddRange(LogRecords);
        return lines;
    }

    /// <summary>Sum of a counter's points (last snapshot per tag set, as the exporter's cumulative snapshots are).</summary>
    public long CounterSum(string name, params (string Key, string Value)[] tags) =>
        LatestPoints(name, tags).Sum(p => p.GetSumLong());

    public long HistogramCount(string name, params (string Key, string Value)[] tags) =>
        LatestPoints(name, tags).Sum(p => p.GetHistogramCount());

    private List<MetricPoint> LatestPoints(string name, (string Key, string Value)[] tags)
    {
        if (_services is not null) _services.GetRequiredService<MeterProvider>().ForceFlush();
        MetricSnapshot? latest;
        lock (Metrics) latest = Metrics.LastOrDefault(m => m.Name == name);
        if (latest is null) return [];
        return latest.MetricPoints.Where(p =>
        {
            var pointTags = new Dictionary<string, object?>();
            foreach (var t in p.Tags) pointTags[t.Key] = t.Value;
            return tags.All(t => pointTags.TryGetValue(t.Key, out var v) && Equals(v?.ToString(), t.Value));
        }).ToList();
    }

    private sealed class LogText(List<string> sink) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord record)
        {
            var text = $"log {record.CategoryName} {record.EventId.Id} {record.EventId.Name} {record.LogLevel} {record.FormattedMessage} {record.Body} {record.Exception} " +
                       string.Join(' ', record.Attributes?.Select(a => a.Key + "=" + a.Value) ?? []);
            var scopes = new List<string>();
            record.ForEachScope((scope, list) =>
            {
                foreach (var item in scope) list.Add(item.Key + "=" + item.Value);
            }, scopes);
            lock (sink) sink.Add(text + " " + string.Join(' ', scopes));
        }
    }
}
