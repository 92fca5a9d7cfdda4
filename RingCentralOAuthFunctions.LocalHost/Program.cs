// The RingCentral OAuth service on ASP.NET Core's own server (no Azure Functions Core Tools needed).
// Listens on http://127.0.0.1:7071 unless --urls says otherwise; settings from environment variables and the
// Values of local.settings.json. See README.md.
RingCentralOAuthFunctions.LocalHost.LocalHostApp.Create(args).Run();

/// <summary>Marker for tests and tools that locate this assembly.</summary>
public partial class Program;
