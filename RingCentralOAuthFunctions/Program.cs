using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions;

var builder = FunctionsApplication.CreateBuilder(args);

// ASP.NET Core integration: functions take HttpRequest and return IResult (executed by the extension).
builder.ConfigureFunctionsWebApplication();

// The worker sends its own logs, dependencies and exceptions straight to Application Insights
// (APPLICATIONINSIGHTS_CONNECTION_STRING); requests are still recorded by the Functions host.
// Only when a connection string is set: without one the SDK still probes Azure's instance-metadata address
// (169.254.169.254), which off Azure is a connection to nowhere (Tests/FunctionsHost/LoopbackOnlyTests).
if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    builder.Services
        .AddApplicationInsightsTelemetryWorkerService()
        .ConfigureFunctionsApplicationInsights();
}

// The Application Insights SDK adds a provider rule that keeps only Warning and above. Remove it so the
// Information events ConnectStarted / ConnectSucceeded / Disconnected reach the `traces` table; the
// worker's levels then come from its own configuration ("Logging" section / Logging__LogLevel__* settings),
// not from host.json.
//
// Metrics: Application Insights SDK 2.x has no System.Diagnostics.Metrics listener, so the
// "ringcentral.connect.outcomes" counter (meter "RingCentralOAuthFunctions") is NOT exported to
// customMetrics by this wiring; it stays available to dotnet-counters / any MeterListener. The same
// outcomes are logged as named events, so chart `traces` by customDimensions.EventName
// (ConnectStarted, ConnectSucceeded, ConnectFailed with customDimensions.Reason, Disconnected).
// Exporting the meter itself would need the Azure Monitor OpenTelemetry exporter, deliberately not added.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var aiDefaultRule = options.Rules.FirstOrDefault(rule =>
        rule.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (aiDefaultRule is not null)
    {
        options.Rules.Remove(aiDefaultRule);
    }
});

builder.Services.AddRingCentralOAuth(builder.Configuration);

builder.Build().Run();
