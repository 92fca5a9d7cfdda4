using System.Diagnostics.Metrics;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions.Tests.Monitoring;

/// <summary>
/// Every metric, dimension, dimension value and log event name that an alert query (infra/**/*.bicep) or the
/// workbook (infra/app/workbook.json) uses is one the code emits, so a rename in Monitoring/ cannot silently blind
/// an alert or empty a panel. What the code emits is observed, not declared: the metric instruments and tags come
/// from calling every <see cref="Telemetry"/> method and every <see cref="UpstreamCalls"/> outcome under a
/// MeterListener; event names and their fields from the <c>[LoggerMessage]</c> declarations in Log.cs.
/// </summary>
public sealed partial class MonitoringNamesTests
{
    private sealed record Emitted(HashSet<string> Metrics, HashSet<string> Dimensions, Dictionary<string, HashSet<string>> DimensionValues, HashSet<string> Events, HashSet<string> Functions);

    private sealed record Usage(string Source, List<string> Metrics, List<string> Dimensions, List<(string Dimension, string Value)> Values, List<string> Events);

    [Fact]
    public void Every_name_the_alerts_and_the_workbook_use_is_emitted_by_the_code()
    {
        var emitted = Emit();
        var queries = Queries();
        Assert.Contains(queries, q => q.Source.EndsWith("alerts.bicep", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Source.EndsWith("workbook.json", StringComparison.Ordinal));

        var usages = queries.Select(q => Read(q.Source, q.Text)).ToList();
        // The extraction found what the queries are about (a broken pattern must not make this test vacuous).
        var allMetrics = usages.SelectMany(u => u.Metrics).ToHashSet();
        Assert.Superset(new HashSet<string> { "ringcentral.connect.outcomes", UpstreamCalls.DurationMetric }, allMetrics);
        Assert.Superset(new HashSet<string> { "SecretUnavailable", "SecretReadable", "AccessTokenRejected", "ConnectRollbackUncertain", "BackgroundTaskFailed", "UnexpectedError" }, usages.SelectMany(u => u.Events).ToHashSet());
        Assert.Superset(new HashSet<string> { "outcome", "reason", "upstream", Tracing.FunctionAttribute, Tracing.UpstreamAttribute }, usages.SelectMany(u => u.Dimensions).ToHashSet());
        Assert.Superset(new HashSet<string> { "failed", "succeeded", "started", "refused", "rate_limited", "unavailable" }, usages.SelectMany(u => u.Values).Where(v => v.Dimension == "outcome").Select(v => v.Value).ToHashSet());

        var problems = usages.SelectMany(u => Problems(u, emitted)).ToList();
        Assert.True(problems.Count == 0, "Names used by infra/ but not emitted by the code:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_check_reports_a_renamed_metric_dimension_value_or_event()
    {
        var emitted = Emit();
        var usage = Read("sample", """
            customMetrics
            | where name == 'ringcentral.connect.outcome'
            | extend outcome = tostring(customDimensions['outcomes'])
            | where outcome == 'completed'
            | union (traces | where tostring(customDimensions['EventName']) == 'SecretsUnavailable')
            | union (traces | where tostring(customDimensions['EventName']) in ('SecretReadable', 'ConnectRollbackFaild'))
            """);

        var problems = Problems(usage, emitted).ToList();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("'ConnectRollbackFaild'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'ringcentral.connect.outcome'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'outcomes'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'completed'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'SecretsUnavailable'", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Problems(Usage usage, Emitted emitted)
    {
        foreach (var metric in usage.Metrics.Where(m => !emitted.Metrics.Contains(m)))
            yield return $"{usage.Source}: metric '{metric}'";
        foreach (var dimension in usage.Dimensions.Where(d => !emitted.Dimensions.Contains(d)))
            yield return $"{usage.Source}: dimension '{dimension}'";
        foreach (var ev in usage.Events.Where(e => !emitted.Events.Contains(e)))
            yield return $"{usage.Source}: event '{ev}'";
        foreach (var (dimension, value) in usage.Values)
        {
            var known = dimension == Tracing.FunctionAttribute
                ? emitted.Functions
                : emitted.DimensionValues.GetValueOrDefault(dimension) ?? [];
            if (!known.Contains(value)) yield return $"{usage.Source}: value '{value}' of {dimension}";
        }
    }

    // --- What the queries use ------------------------------------------------------------------------------------

    private static List<(string Source, string Text)> Queries()
    {
        var infra = Path.Combine(RepositoryRoot(), "infra");
        var result = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(infra, "*.bicep", SearchOption.AllDirectories))
            result.Add((Path.GetRelativePath(infra, file), File.ReadAllText(file)));
        foreach (var file in Directory.EnumerateFiles(infra, "*.json", SearchOption.AllDirectories).Where(f => !f.EndsWith("bicepconfig.json", StringComparison.Ordinal)))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            var queries = new List<string>();
            CollectQueries(json.RootElement, queries);
            result.Add((Path.GetRelativePath(infra, file), string.Join("\n", queries)));
        }

        return result;
    }

    private static void CollectQueries(JsonElement element, List<string> queries)
    {
        if (element.ValueKind == JsonValueKind.Object)
            foreach (var property in element.EnumerateObject())
                if (property.Name == "query" && property.Value.ValueKind == JsonValueKind.String) queries.Add(property.Value.GetString()!);
                else CollectQueries(property.Value, queries);
        else if (element.ValueKind == JsonValueKind.Array)
            foreach (var item in element.EnumerateArray()) CollectQueries(item, queries);
    }

    private static Usage Read(string source, string text)
    {
        var metrics = MetricName().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
        var dimensions = Dimension().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();
        var events = EventName().Matches(text)
            .SelectMany(m => m.Groups["one"].Success ? [m.Groups["one"].Value] : Quoted().Matches(m.Groups["list"].Value).Select(q => q.Groups[1].Value))
            .Distinct().ToList();
        dimensions.Remove("EventName"); // written by the exporter for every named event; its values are checked as events

        // Values compared with a dimension, directly or through a column named after it (extend outcome = ...).
        var values = new List<(string, string)>();
        foreach (Match match in Comparison().Matches(text))
        {
            var dimension = match.Groups["direct"].Success ? match.Groups["direct"].Value : match.Groups["column"].Value;
            if (dimension == "EventName") continue;
            foreach (Match quoted in Quoted().Matches(match.Groups["values"].Value))
                values.Add((dimension, quoted.Groups[1].Value));
        }

        return new Usage(source, metrics, dimensions, values.Distinct().ToList(), events);
    }

    [GeneratedRegex(@"\bname\s*==\s*'([^']+)'")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"customDimensions\['([^']+)'\]")]
    private static partial Regex Dimension();

    [GeneratedRegex(@"customDimensions\['EventName'\]\)\s*(?:==\s*'(?<one>[^']+)'|in\s*\((?<list>[^)]*)\))")]
    private static partial Regex EventName();

    [GeneratedRegex(@"(?:customDimensions\['(?<direct>[^']+)'\]\)|\b(?<column>outcome|upstream|reason))\s*(?:==|in)\s*(?<values>\([^)]*\)|'[^']*')")]
    private static partial Regex Comparison();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    // --- What the code emits ------------------------------------------------------------------------------------

    private static Emitted Emit()
    {
        var metrics = new HashSet<string>();
        var dimensions = new HashSet<string>();
        var values = new Dictionary<string, HashSet<string>>();

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory) l.EnableMeasurementEvents(instrument);
        };
        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (metrics)
            {
                metrics.Add(instrument.Name);
                foreach (var tag in tags)
                {
                    dimensions.Add(tag.Key);
                    if (!values.TryGetValue(tag.Key, out var set)) values[tag.Key] = set = [];
                    set.Add(tag.Value?.ToString() ?? "");
                }
            }
        }
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
        listener.Start();

        // Every Telemetry method (the connect counter's outcomes, disconnects).
        var telemetry = new Telemetry(factory);
        var methods = typeof(Telemetry).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(m => m.ReturnType == typeof(void) && m.Name != nameof(IDisposable.Dispose)).ToList();
        Assert.True(methods.Count >= 6, "Telemetry has fewer recording methods than expected");
        foreach (var method in methods)
            method.Invoke(telemetry, method.GetParameters().Select(p => p.ParameterType == typeof(bool) ? (object)true : "some_reason").ToArray());

        // Every upstream with every outcome.
        var upstream = new UpstreamCalls(factory);
        foreach (var name in Upstreams.All)
        {
            using (var call = upstream.Start(name, "op")) call.Answered(HttpStatusCode.OK);
            using (var call = upstream.Start(name, "op")) call.Answered(HttpStatusCode.NotFound);
            using (var call = upstream.Start(name, "op")) call.Answered(HttpStatusCode.ServiceUnavailable);
            using (var call = upstream.Start(name, "op")) call.Failed(new TimeoutException(), callerCancelled: true);
        }

        // Reasons are open-ended codes (the workbook groups by them); "some_reason" stands for them and is not a query value.
        values.GetValueOrDefault("reason")?.Remove("some_reason");

        // Span attributes carried into dependencies.customDimensions.
        dimensions.UnionWith([Tracing.FunctionAttribute, Tracing.UpstreamAttribute, Tracing.OutcomeAttribute]);
        values[Tracing.UpstreamAttribute] = [.. Upstreams.All];

        // Named log events and their fields (traces.customDimensions).
        var events = new HashSet<string>();
        foreach (var method in typeof(Log).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            var attribute = method.GetCustomAttribute<LoggerMessageAttribute>();
            if (attribute?.EventName is null) continue;
            events.Add(attribute.EventName);
            dimensions.UnionWith(TemplateField().Matches(attribute.Message).Select(m => m.Groups[1].Value));
        }

        // Function names: the [Function(nameof(X))] classes of the Functions app.
        var functionsDir = Path.Combine(RepositoryRoot(), "RingCentralOAuthFunctions", "Functions");
        var functions = Directory.EnumerateFiles(functionsDir, "*.cs")
            .SelectMany(f => FunctionAttribute().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value))
            .ToHashSet();
        Assert.Contains("Callback", functions);
        Assert.Contains("Complete", functions);

        return new Emitted(metrics, dimensions, values, events, functions);
    }

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex TemplateField();

    [GeneratedRegex(@"\[Function\((?:nameof\((\w+)\)|""(\w+)"")\)\]")]
    private static partial Regex FunctionAttribute();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Functions.sln) not found above " + AppContext.BaseDirectory);
    }
}
