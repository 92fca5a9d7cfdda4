// The RingCentral OAuth service on ASP.NET Core's own server (no Azure Functions Core Tools needed).
// Listens on http://127.0.0.1:7071 unless --urls says otherwise; settings from environment variables and the
// Values of local.settings.json. With --demo, the demo instead (RingCentral and Supabase stand-ins and a demo ERP
// page; see Demo/DemoApp.cs). See README.md.
using RingCentralOAuthFunctions.LocalHost.Demo;

if (DemoProgram.DemoArguments(args) is { } demoArgs)
    return await DemoProgram.RunAsync(demoArgs, Console.Out, Console.Error);

// Multicore JIT: each start records the methods it compiles, written beside the app when the host stops gracefully
// (Ctrl+C, SIGTERM), and the next start compiles them ahead on a spare core (docs/benchmarks.md). Without a writable
// directory or a profile yet, it does nothing.
System.Runtime.ProfileOptimization.SetProfileRoot(AppContext.BaseDirectory);
System.Runtime.ProfileOptimization.StartProfile(RingCentralOAuthFunctions.LocalHost.LocalHostApp.StartupProfileFile);

var app = RingCentralOAuthFunctions.LocalHost.LocalHostApp.Create(args);
app.Run();
return 0;

/// <summary>Marker for tests and tools that locate this assembly.</summary>
public partial class Program;
