using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// The documented front-end module, <c>docs/frontend/ringcentralOAuth.js</c>: plain JavaScript that browsers run as it
/// is (the stand-in ERP and the demo serve the file unchanged), with JSDoc types that the pinned <c>typescript</c>
/// package checks (<c>tsc -p docs/frontend/tsconfig.json</c>: <c>allowJs</c>, <c>checkJs</c>, <c>noEmit</c>).
/// </summary>
internal static class FrontEndModule
{
    public const string FileName = "ringcentralOAuth.js";

    /// <summary><c>docs/frontend</c> of the source tree this assembly was built from (the build output may be anywhere, e.g. under --artifacts-path).</summary>
    public static string SourceDirectory { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisSourceFile())!, "..", "..", "docs", "frontend"));

    public static string FilePath => Path.Combine(SourceDirectory, FileName);

    public static string CompilerPath => Path.Combine(SourceDirectory, "node_modules", "typescript", "bin", "tsc");

    /// <summary>The module's text, exactly as the ERP pastes it in.</summary>
    public static string Read() => File.ReadAllText(FilePath);

    public static string? FindNode() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "node"))
            .FirstOrDefault(File.Exists);

    /// <summary>Node.js or the pinned compiler missing, with how to install it; null when the type-check can run.</summary>
    public static string? MissingTypeChecker()
    {
        if (FindNode() is null)
            return "Node.js is not on PATH (it runs the TypeScript type-check): install it with `apt-get install -y nodejs npm`.";
        if (!File.Exists(CompilerPath))
            return $"The pinned TypeScript compiler is not installed: run `npm ci --prefix {SourceDirectory}` (dotnet test does this itself when Node.js is there).";
        return null;
    }

    /// <summary>Runs <c>tsc -p <paramref name="tsconfig"/></c> (default: docs/frontend/tsconfig.json); returns its exit code and messages.</summary>
    public static async Task<(int ExitCode, string Output)> TypeCheckAsync(string? tsconfig = null)
    {
        var node = FindNode() ?? throw new InvalidOperationException("Node.js is not on PATH.");
        var start = new ProcessStartInfo(node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = SourceDirectory,
        };
        foreach (var arg in new[] { CompilerPath, "-p", tsconfig ?? Path.Combine(SourceDirectory, "tsconfig.json"), "--pretty", "false" })
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string ThisSourceFile([CallerFilePath] string path = "") => path;
}
