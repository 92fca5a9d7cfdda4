using System.Text.Json.Nodes;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.LocalHost.Demo;

/// <summary>
/// The demo ERP's pages and the stand-ins' demo-only calls, on the service's own origin:
/// <c>/</c> (and <c>/integrations</c>) the Integrations page, <c>/integrations/callback</c> the popup's last stop as
/// the ERP's, <c>/demo/*</c> their scripts (the front-end module is <c>docs/frontend/ringcentralOAuth.js</c>, copied
/// into the build output as is), <c>/favicon.ico</c> the demo's icon, <c>POST /demo/sign-in</c> the Supabase stand-in's sign-in and <c>GET /demo/rows</c>
/// its two tables, tokens shortened.
/// </summary>
internal static class DemoRoutes
{
    public const string CallbackPage = "/integrations/callback";

    /// <summary>Files of <c>Demo/Pages</c> in the build output that may be served, with their content types.</summary>
    private static readonly Dictionary<string, string> Assets = new(StringComparer.Ordinal)
    {
        ["demo-page.js"] = "text/javascript; charset=utf-8",
        ["callback.js"] = "text/javascript; charset=utf-8",
        ["app-start.js"] = "text/javascript; charset=utf-8",
        ["favicon.svg"] = "image/svg+xml",
        ["demo.css"] = "text/css; charset=utf-8",
        ["ringcentralOAuth.js"] = "text/javascript; charset=utf-8",
    };

    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static string PagesDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "Demo", "Pages");

    public static void Map(WebApplication app, FakeSupabase supabase)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html", "text/html; charset=utf-8"));
        app.MapGet("/integrations", (HttpContext context) => Serve(context, "index.html", "text/html; charset=utf-8"));
        app.MapGet(CallbackPage, (HttpContext context) => Serve(context, "callback.html", "text/html; charset=utf-8"));
        // The pages name their icon; this answers a browser that asks for the default one anyway (no 404 in its console).
        app.MapGet("/favicon.ico", (HttpContext context) => Serve(context, "favicon.svg", "image/svg+xml"));
        app.MapGet("/demo/{file}", (HttpContext context, string file) =>
            Assets.TryGetValue(file, out var type) ? Serve(context, file, type) : Results.NotFound());

        // Supabase Auth's sign-in, played by the stand-in: an access token signed with its own ES256 key (on its JWKS).
        app.MapPost("/demo/sign-in", (HttpContext context, SignInRequest request) =>
        {
            NoStore(context);
            if (DemoUsers.Find(request.User) is not { } user) return Results.Json(new { error = "Unknown demo user" }, statusCode: 400);
            return Results.Json(new
            {
                accessToken = supabase.MintAccessToken(user.Id, user.Email),
                user = new { key = user.Key, name = user.Name, email = user.Email },
            });
        });

        app.MapGet("/demo/users", (HttpContext context) =>
        {
            NoStore(context);
            return Results.Json(DemoUsers.All.Select(u => new { key = u.Key, name = u.Name, email = u.Email }));
        });

        // What the Supabase stand-in holds for each demo user: the two rows the service writes, tokens shortened.
        app.MapGet("/demo/rows", (HttpContext context) =>
        {
            NoStore(context);
            return Results.Json(DemoUsers.All.Select(u => new
            {
                key = u.Key,
                name = u.Name,
                tokens = Shortened(supabase.Row(FakeSupabase.TokensTable, u.Id)),
                connection = Shortened(supabase.Row(FakeSupabase.ConnectionsTable, u.Id)),
            }));
        });
    }

    /// <summary>The row with every <c>*_token</c> value cut to its first 10 characters (enough to tell two apart).</summary>
    internal static JsonObject? Shortened(JsonObject? row)
    {
        if (row is null) return null;
        foreach (var name in row.Select(p => p.Key).Where(k => k.EndsWith("_token", StringComparison.Ordinal)).ToList())
        {
            if (row[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 10)
                row[name] = text[..10] + "…";
        }

        return row;
    }

    private static IResult Serve(HttpContext context, string file, string contentType)
    {
        var path = Path.Combine(PagesDirectory, file);
        if (!File.Exists(path)) return Results.NotFound();
        NoStore(context);
        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        return Results.File(path, contentType);
    }

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    internal sealed record SignInRequest(string? User);
}
