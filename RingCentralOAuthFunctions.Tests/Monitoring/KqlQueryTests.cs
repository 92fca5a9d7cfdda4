using System.Text.Json;
using System.Text.RegularExpressions;

namespace RingCentralOAuthFunctions.Tests.Monitoring;

/// <summary>
/// The Kusto queries of the alerts (infra/app/alerts.bicep) and of the workbook (infra/app/workbook.json) give every
/// column one type across a <c>union</c> (<see cref="KqlColumnTypes"/>), and the workbook holds the panels and
/// platform-metric tiles docs/deploy.md describes, on a default resource.
/// </summary>
public sealed partial class KqlQueryTests
{
    /// <summary>The workbook's panels, in order: the tests and docs/deploy.md ("Workbook") know these.</summary>
    private static readonly string[] WorkbookPanels =
    [
        "intro", "parameters",
        "platform-intro", "platform-instances", "platform-memory-working-set", "platform-executions",
        "connects-per-hour-started-completed-failed", "failures-by-reason", "complete:-p50---p95-ms",
        "upstream-calls:-p50---p95-ms", "upstream-answers-per-hour-ok-rejected-unavailable", "refusals-by-kind-401-403-429",
    ];

    [Fact]
    public void No_query_in_the_alerts_or_the_workbook_mixes_column_types()
    {
        var queries = AlertQueries().Concat(WorkbookQueries().Select(q => ("workbook.json " + q.Name, q.Query))).ToList();
        Assert.True(queries.Count(q => q.Item1.StartsWith("alerts.bicep", StringComparison.Ordinal)) >= 7, "the alert queries were not found");
        Assert.Contains(queries, q => q.Item1.EndsWith("refusals-by-kind-401-403-429", StringComparison.Ordinal) && q.Item2.Contains("union", StringComparison.Ordinal));

        var problems = queries.SelectMany(q => KqlColumnTypes.Check(q.Item1, q.Item2)).ToList();

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_check_reports_the_refusals_union_of_a_long_and_a_real_count()
    {
        // The workbook's "Refusals by kind" before issue 19: count() is long, sum(valueSum) is real.
        const string query = """
            let rejectedTokens = traces
                | where tostring(customDimensions['EventName']) == 'AccessTokenRejected'
                | summarize refusals = count() by bin(timestamp, 1h)
                | extend kind = '401 access token rejected';
            let connectRefusals = customMetrics
                | where name == 'ringcentral.connect.outcomes'
                | extend outcome = tostring(customDimensions['outcome'])
                | where outcome in ('refused', 'rate_limited')
                | summarize refusals = sum(valueSum) by bin(timestamp, 1h), outcome
                | extend kind = iff(outcome == 'refused', '403 other user', '429 rate limited')
                | project-away outcome;
            union rejectedTokens, connectRefusals
            | render timechart
            """;

        var problems = KqlColumnTypes.Check("sample", query);

        var problem = Assert.Single(problems);
        Assert.Contains("'refusals'", problem, StringComparison.Ordinal);
        Assert.Contains("long", problem, StringComparison.Ordinal);
        Assert.Contains("real", problem, StringComparison.Ordinal);
        Assert.Empty(KqlColumnTypes.Check("fixed", query.Replace("refusals = sum(valueSum)", "refusals = tolong(sum(valueSum))", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("countif(success == false)", "toint(1)", true)]          // long and int are two types in Kusto
    [InlineData("sum(valueCount)", "count()", false)]                    // int summed is long
    [InlineData("percentile(duration, 95)", "round(duration, 1)", false)]
    [InlineData("avg(duration)", "sum(itemCount)", true)]
    [InlineData("max(timestamp)", "bin(timestamp, 1h)", false)]
    [InlineData("iff(success, 'ok', 'failed')", "strcat('a', 'b')", false)]
    [InlineData("dcount(user_Id)", "failed * 100.0 / total", true)]
    public void The_check_types_the_functions_the_queries_use(string left, string right, bool mixed)
    {
        var query = $"""
            let a = requests | summarize total = count(), failed = countif(success == false) | extend x = {left};
            let b = requests | summarize total = count(), failed = countif(success == false) | extend x = {right};
            union a, b
            """;

        Assert.Equal(mixed, KqlColumnTypes.Check("sample", query).Count == 1);
    }

    [Fact]
    public void The_workbook_holds_the_panels_and_platform_tiles_on_a_default_resource()
    {
        var infra = Path.Combine(RepositoryRoot(), "infra", "app");
        using var workbook = JsonDocument.Parse(File.ReadAllText(Path.Combine(infra, "workbook.json")));
        var items = workbook.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(WorkbookPanels, items.Select(i => i.GetProperty("name").GetString()!));

        // Every log panel reads Application Insights over the workbook's time range.
        foreach (var item in items.Where(i => i.GetProperty("type").GetInt32() == 3))
        {
            var content = item.GetProperty("content");
            Assert.Equal("microsoft.insights/components", content.GetProperty("resourceType").GetString());
            Assert.Equal("TimeRange", content.GetProperty("timeContextFromParameter").GetString());
            Assert.False(string.IsNullOrWhiteSpace(content.GetProperty("query").GetString()));
        }

        // The platform tiles: the Function App's own metrics (Microsoft.Web/sites), filled in by workbook.bicep.
        var metrics = items.Where(i => i.GetProperty("type").GetInt32() == 10).ToList();
        Assert.Equal(3, metrics.Count);
        var names = new HashSet<string>();
        foreach (var tile in metrics)
        {
            var content = tile.GetProperty("content");
            Assert.Equal("microsoft.web/sites", content.GetProperty("resourceType").GetString());
            Assert.Equal(["__FUNCTION_APP_ID__"], content.GetProperty("resourceIds").EnumerateArray().Select(r => r.GetString()));
            Assert.Equal("TimeRange", content.GetProperty("timeContextFromParameter").GetString());
            foreach (var metric in content.GetProperty("metrics").EnumerateArray())
                names.Add(metric.GetProperty("metric").GetString()!);
        }

        Assert.Equal(
            new HashSet<string>
            {
                "microsoft.web/sites--InstanceCount", "microsoft.web/sites--MemoryWorkingSet",
                "microsoft.web/sites--OnDemandFunctionExecutionCount", "microsoft.web/sites--AlwaysReadyFunctionExecutionCount",
            },
            names);

        // workbook.bicep replaces the placeholder with the Function App's id and makes Application Insights the default resource.
        var bicep = File.ReadAllText(Path.Combine(infra, "workbook.bicep"));
        Assert.Contains("'__FUNCTION_APP_ID__', functionApp.id", bicep, StringComparison.Ordinal);
        Assert.Matches(@"fallbackResourceIds:\s*\[\s*applicationInsights\.id\s*\]", bicep);
    }

    private static IEnumerable<(string, string)> AlertQueries()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "app", "alerts.bicep"));
        foreach (Match block in MultiLineString().Matches(text))
            yield return ($"alerts.bicep {block.Groups[1].Value}", block.Groups[2].Value);
    }

    private static IEnumerable<(string Name, string Query)> WorkbookQueries()
    {
        using var workbook = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "app", "workbook.json")));
        return workbook.RootElement.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("content").TryGetProperty("query", out _))
            .Select(i => (i.GetProperty("name").GetString()!, i.GetProperty("content").GetProperty("query").GetString()!))
            .ToList();
    }

    /// <summary>Bicep multi-line strings assigned to a variable: <c>var name = '''...'''</c>.</summary>
    [GeneratedRegex(@"var\s+(\w+)\s*=\s*'''(.*?)'''", RegexOptions.Singleline)]
    private static partial Regex MultiLineString();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Functions.sln) not found above " + AppContext.BaseDirectory);
    }
}
