namespace RingCentralOAuthFunctions.LocalHost.Demo;

/// <summary><c>dotnet run --project RingCentralOAuthFunctions.LocalHost -- --demo</c>: starts <see cref="DemoApp"/> and runs until Ctrl+C.</summary>
public static class DemoProgram
{
    /// <summary>Exit code when demo mode refuses to start (real settings, a non-loopback address, the port taken).</summary>
    public const int RefusedExitCode = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        DemoApp demo;
        try
        {
            demo = await DemoApp.StartAsync(args);
        }
        catch (DemoRefusedException refused)
        {
            await error.WriteLineAsync("DEMO mode refused to start: " + refused.Message);
            return RefusedExitCode;
        }
        catch (IOException io) when (io.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await error.WriteLineAsync("DEMO mode could not listen: the address is in use. Choose another port: -- --demo --urls http://127.0.0.1:<port>");
            return RefusedExitCode;
        }

        await using (demo)
        {
            await output.WriteLineAsync($"""

                DEMO MODE: the real service, wired to in-process stand-ins of RingCentral and Supabase. Nothing leaves this machine.
                  Open {demo.BaseUrl}/ , sign in as {string.Join(" or ", DemoUsers.All.Select(u => u.Name))}, and connect RingCentral.
                  RingCentral stand-in: {demo.RingCentral.Url}   Supabase stand-in: {demo.Supabase.Url}
                  Every row lives in memory and is gone when you stop it (Ctrl+C).

                """);
            await demo.App.WaitForShutdownAsync();
        }

        return 0;
    }

    /// <summary>The arguments without <see cref="DemoApp.Flag"/>, or null when the flag is absent (the normal service).</summary>
    public static string[]? DemoArguments(string[] args) =>
        args.Contains(DemoApp.Flag, StringComparer.Ordinal) ? args.Where(a => a != DemoApp.Flag).ToArray() : null;
}
