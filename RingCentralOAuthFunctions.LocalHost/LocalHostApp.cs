using System.Text.Json;
using CorsMiddleware = Microsoft.AspNetCore.Cors.Infrastructure.CorsMiddleware;
using ICorsPolicyProvider = Microsoft.AspNetCore.Cors.Infrastructure.ICorsPolicyProvider;
using ICorsService = Microsoft.AspNetCore.Cors.Infrastructure.ICorsService;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Configuration;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Endpoints;

namespace RingCentralOAuthFunctions.LocalHost;

/// <summary>
/// The same routes and handlers as the Functions app, on ASP.NET Core's own server: how the service runs on a
/// machine without Azure Functions Core Tools, and what the end-to-end, browser and load tests start.
/// </summary>
public static class LocalHostApp
{
    public const string DefaultUrl = "http://127.0.0.1:7071";
    public const string CorsPolicy = "erp";

    /// <summary>The multicore JIT profile the service's start records and replays (Program.cs), in the app's directory.</summary>
    public const string StartupProfileFile = "localhost-startup.jitprofile";

    /// <param name="configure">Runs before the app's services are added: tests add settings, loggers or a clock here.</param>
    /// <param name="useLocalSettingsFile">Read <c>local.settings.json</c> (tests turn this off so a developer's file cannot leak in).</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null, bool useLocalSettingsFile = true)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (useLocalSettingsFile && AddLocalSettings(builder.Configuration, builder.Environment.ContentRootPath) is { } fileProblem)
            builder.Services.AddSingleton(fileProblem);
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
            // Kestrel refuses an oversized head with an empty answer and no hook: its limits are a backstop at 64 KB
            // (and 200 headers), and the app's own limits below answer 414/431 as JSON (RequestLimits.OversizedHead).
            kestrel.Limits.MaxRequestHeadersTotalSize = BackstopHeadBytes;
            kestrel.Limits.MaxRequestLineSize = BackstopHeadBytes;
            kestrel.Limits.MaxRequestHeaderCount = 2 * RequestLimits.MaxHeaderCount;
        });

        builder.Services.AddRingCentralOAuth(builder.Configuration);
        var origins = builder.Configuration.GetSection(CorsOptions.Section).Get<CorsOptions>()?.Origins() ?? new CorsOptions().Origins();
        builder.Services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins(origins)
            .WithMethods("GET", "POST")
            .WithHeaders("Authorization", "Content-Type")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));

        var app = builder.Build();
        UseJsonErrorAnswers(app);
        UseCorsPolicy(app);
        MapRoutes(app);
        return app;
    }

    /// <summary>Above this the server itself refuses the request line or headers, with an empty 414/431 (README).</summary>
    public const int BackstopHeadBytes = 64 * 1024;

    /// <summary>
    /// Every refusal of the server as the API answers errors (JSON, no-store): a request line or headers over the
    /// limits (414/431, before any handler), an unknown route (404) and a route with another method (405, with the
    /// <c>Allow</c> that routing sets).
    /// </summary>
    private static void UseJsonErrorAnswers(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (RequestLimits.OversizedHead(context.Request) is { } status)
            {
                await ErrorAnswers.For(context.Request, status).ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        app.UseStatusCodePages(async pages =>
        {
            var context = pages.HttpContext;
            if (context.Response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed)
                await ErrorAnswers.For(context.Request, context.Response.StatusCode).ExecuteAsync(context);
        });
    }

    /// <summary>
    /// ASP.NET Core's CORS middleware with the <see cref="CorsPolicy"/> policy, as <c>UseCors(CorsPolicy)</c> adds it,
    /// but constructed here: <c>UseCors</c> binds the middleware's <c>Invoke(HttpContext, ICorsPolicyProvider)</c> by
    /// compiling an expression tree while the server starts, about a tenth of the local host's start-up CPU
    /// (docs/benchmarks.md). The policy provider is still resolved per request, as <c>UseMiddleware</c> does.
    /// </summary>
    private static void UseCorsPolicy(WebApplication app)
    {
        var corsService = app.Services.GetRequiredService<ICorsService>();
        var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
        app.Use(next =>
        {
            var cors = new CorsMiddleware(next, corsService, loggerFactory, CorsPolicy);
            return context => cors.Invoke(context, context.RequestServices.GetRequiredService<ICorsPolicyProvider>());
        });
    }

    public static void MapRoutes(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/" + Routes.Prefix).AddEndpointFilter(FunctionSpanAsync);
        api.MapPost(Routes.AuthUrl, (HttpRequest r, AuthUrlEndpoint e, CancellationToken ct) => e.HandleAsync(r, ct));
        api.MapGet(Routes.Callback, (HttpRequest r, CallbackEndpoint e, CancellationToken ct) => e.HandleAsync(r, ct));
        api.MapPost(Routes.Complete, (HttpRequest r, CompleteEndpoint e, CancellationToken ct) => e.HandleAsync(r, ct));
        api.MapGet(Routes.Status, (HttpRequest r, StatusEndpoint e, CancellationToken ct) => e.HandleAsync(r, ct));
        api.MapPost(Routes.Disconnect, (HttpRequest r, DisconnectEndpoint e, CancellationToken ct) => e.HandleAsync(r, ct));
        // Health's problem list only to a caller on this machine (the Functions app asks for the function key instead).
        api.MapGet(Routes.Health, (HttpRequest r, HealthEndpoint e, CancellationToken ct) =>
            HealthEndpoint.IsLocalCaller(r) ? e.HandleDetailsAsync(r, ct) : e.HandleAsync(r, ct));
        api.MapGet(Routes.HealthDetails, (HttpRequest r, HealthEndpoint e, CancellationToken ct) =>
            HealthEndpoint.IsLocalCaller(r) ? e.HandleDetailsAsync(r, ct) : Task.FromResult(HealthEndpoint.RefuseDetails(r)));
    }

    /// <summary>
    /// One span per call, named as the Functions app names the function (its worker middleware does the same there):
    /// the route's last segment in PascalCase (<c>callback</c> is Callback), except auth-url, which is GetAuthUrl.
    /// </summary>
    private static async ValueTask<object?> FunctionSpanAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var route = (context.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
        var segment = route[(route.LastIndexOf('/') + 1)..];
        var name = segment == "auth-url" ? "GetAuthUrl" : string.Concat(segment.Split('-').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
        using var span = Monitoring.Tracing.StartFunction(name);
        try
        {
            var result = await next(context);
            Monitoring.Tracing.EndFunction(span, result, null);
            return result;
        }
        catch (Exception ex)
        {
            Monitoring.Tracing.EndFunction(span, null, ex);
            throw;
        }
    }

    /// <summary>
    /// The <c>Values</c> of <c>local.settings.json</c> (the Functions Core Tools file), found in the working
    /// directory, the content root or a parent of either, so one file configures both hosts. Environment
    /// variables and command-line arguments still win. <c>__</c> in names means <c>:</c>, as in environment variables.
    /// </summary>
    internal static StartupProblem? AddLocalSettings(ConfigurationManager configuration, string contentRoot)
    {
        var file = FindLocalSettings(Directory.GetCurrentDirectory()) ?? FindLocalSettings(contentRoot);
        return file is null ? null : AddLocalSettingsFile(configuration, file);
    }

    /// <summary>
    /// Adds the <c>Values</c> of one <c>local.settings.json</c>. A file that cannot be read or is not valid JSON is
    /// ignored and returned as a problem naming the file (and the line), which the start-up log and Health report,
    /// instead of stopping the process. The file's name only: its directory says where the service runs, which Health
    /// does not tell.
    /// </summary>
    public static StartupProblem? AddLocalSettingsFile(IConfigurationBuilder configuration, string file)
    {
        var name = Path.GetFileName(file);
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            // The exception's message can quote the file's text (values are secrets): only the position is reported.
            var where = ex.LineNumber is { } line ? $" at line {line + 1}" : "";
            return new StartupProblem(name, $"not valid JSON{where}: ignored, so none of its Values are used");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new StartupProblem(name, $"unreadable ({ex.GetType().Name}): ignored");
        }

        using var document = json;
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("Values", out var values) || values.ValueKind != JsonValueKind.Object)
            return new StartupProblem(name, $"has no \"Values\" object: ignored");

        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in values.EnumerateObject())
            data[property.Name.Replace("__", ":")] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
        // Lowest precedence: below appsettings, environment variables and the command line.
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = data });
        return null;
    }

    private static string? FindLocalSettings(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "local.settings.json");
            if (File.Exists(candidate)) return candidate;
            if (Directory.Exists(Path.Combine(dir.FullName, ".git"))) return null;
        }

        return null;
    }
}
