// The smallest comparable web app: same SDK, same Release build, same `dotnet <dll> --urls ...` start, default logging.
var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/api/health", () => Results.Json(new { status = "ok" }));
app.Run();
