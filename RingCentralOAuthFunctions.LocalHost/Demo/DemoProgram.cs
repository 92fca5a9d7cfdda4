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
        catch (DemoPortInUseException inUse)
        {
            await error.WriteLineAsync(PortInUseLine(inUse.BaseUrl));
            return RefusedExitCode;
        }
        catch (IOException io) when (io.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // Taken between the check and the start (rare): the host has logged its failure already.
            await error.WriteLineAsync(PortInUseLine(null));
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

    /// <summary>The one line printed when the demo's address is taken.</summary>
    public static string PortInUseLine(string? baseUrl) =>
        $"DEMO mode could not start: {baseUrl ?? "the address"} is already in use (is the demo or the service running already?). " +
        "Stop that program, or choose another port: -- --demo --urls http://127.0.0.1:<port>";

    /// <summary>The arguments without <see cref="DemoApp.Flag"/>, or null when the flag is absent (the normal service).</summary>
    public static string[]? DemoArguments(string[] args) =>
        args.Contains(DemoApp.Flag, StringComparer.Ordinal) ? args.Where(a => a != DemoApp.Flag).ToArray() : null;
}
