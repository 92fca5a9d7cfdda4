// The RingCentral OAuth service on ASP.NET Core's own server (no Azure Functions Core Tools needed).
// Listens on http://127.0.0.1:7071 unless --urls says otherwise; settings from environment variables and the
// Values of local.settings.json. See README.md.
var app = RingCentralOAuthFunctions.LocalHost.LocalHostApp.Create(args);
// A local run checks its upstreams from the start, so the first log lines already say what does not work.
app.Services.GetRequiredService<RingCentralOAuthFunctions.Configuration.DependencyChecks>().Start();
app.Run();

/// <summary>Marker for tests and tools that locate this assembly.</summary>
public partial class Program;
