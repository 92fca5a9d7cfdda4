using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using RingCentralOAuthFunctions;
using RingCentralOAuthFunctions.Monitoring;

var builder = FunctionsApplication.CreateBuilder(args);

// ASP.NET Core integration: functions take HttpRequest and return IResult (executed by the extension).
builder.ConfigureFunctionsWebApplication();

// One span per function call, named after the function; upstream calls are its children (Monitoring/Tracing.cs).
builder.UseMiddleware<FunctionSpanMiddleware>();

// Telemetry to Application Insights, only when APPLICATIONINSIGHTS_CONNECTION_STRING is set (never off Azure by
// accident: both exporters would otherwise ask the instance-metadata address for a token).
//
// One setting chooses the path for host and worker together: AzureFunctionsJobHost__telemetryMode. Unset, the
// host takes "OpenTelemetry" from host.json and the worker exports traces, metrics (customMetrics) and logs through
// OpenTelemetry. Set to "ApplicationInsights", the host overrides host.json with it and the worker uses the
// Application Insights SDK 2.x as before (logs only; no customMetrics). OpenTelemetry for Functions is a preview
// feature: the second path is the way back. See docs/deploy.md ("Telemetry mode").
var connectionString = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
var applicationInsightsSdk = string.Equals(builder.Configuration["AzureFunctionsJobHost:telemetryMode"], "ApplicationInsights", StringComparison.OrdinalIgnoreCase);

// Each path is its own method, so the JIT loads the assemblies of the path taken only (none off Azure).
if (!string.IsNullOrWhiteSpace(connectionString))
{
    if (applicationInsightsSdk) AddApplicationInsightsSdk(builder);
    else AddOpenTelemetryExport(builder, connectionString);
}

builder.Services.AddRingCentralOAuth(builder.Configuration);

var app = builder.Build();
app.Run();

static void AddApplicationInsightsSdk(FunctionsApplicationBuilder builder)
{
    builder.Services
        .AddApplicationInsightsTelemetryWorkerService()
        .ConfigureFunctionsApplicationInsights();

    // The SDK adds a provider rule that keeps only Warning and above. Remove it so the Information events
    // (ConnectStarted, ConnectSucceeded, Disconnected) reach `traces`; levels then come from "Logging" settings.
    builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
    {
        var aiDefaultRule = options.Rules.FirstOrDefault(rule =>
            rule.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
        if (aiDefaultRule is not null) options.Rules.Remove(aiDefaultRule);
    });
}

// Application Insights has local (key) authentication off: export with an Entra token of the app's managed identity
// (AZURE_CLIENT_ID, set by infra/), which holds Monitoring Metrics Publisher. Without a connection string nothing
// would be exported, so the OpenTelemetry SDK is not set up at all (it would only cost start-up off Azure: its
// providers, listeners and the HttpClient instrumentation; docs/benchmarks.md, "Start-up").
static void AddOpenTelemetryExport(FunctionsApplicationBuilder builder, string connectionString) =>
    builder.Services.AddOpenTelemetry()
        .UseFunctionsWorkerDefaults()
        .AddRingCentralOAuthInstrumentation()
        .UseAzureMonitorExporter(options =>
        {
            options.ConnectionString = connectionString;
            options.Credential = ExporterCredential(builder.Configuration);
        });

static TokenCredential ExporterCredential(IConfiguration configuration)
{
    var clientId = configuration["AZURE_CLIENT_ID"];
    return string.IsNullOrWhiteSpace(clientId)
        ? new DefaultAzureCredential()
        : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
}
