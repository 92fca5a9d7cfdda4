using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// The documented front-end module, <c>docs/frontend/ringcentralOAuth.ts</c>, type-checked and compiled to an ES module
/// by the pinned <c>typescript</c> package (its <c>tsconfig.json</c>), so the stand-in ERP page runs exactly that file.
/// </summary>
internal static class FrontEndModule
{
    public const string SourceFile = "ringcentralOAuth.ts";
    public const string CompiledFile = "ringcentralOAuth.js";

    /// <summary><c>docs/frontend</c> of the source tree this assembly was built from (the build output may be anywhere, e.g. under --artifacts-path).</summary>
    public static string SourceDirectory { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisSourceFile())!, "..", "..", "docs", "frontend"));

    public static string CompilerPath => Path.Combine(SourceDirectory, "node_modules", "typescript", "bin", "tsc");

    public static string? FindNode() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "node"))
            .FirstOrDefault(File.Exists);

    /// <summary>Runs <c>tsc -p docs/frontend/tsconfig.json</c> into a fresh folder; returns the JavaScript. Type errors fail.</summary>
    public static async Task<string> CompileAsync()
    {
        var node = FindNode() ?? throw new InvalidOperationException("Node.js is not on PATH.");
        var outDir = Path.Combine(Path.GetTempPath(), "ringcentral-frontend-" + Guid.NewGuid().ToString("N"));
        try
        {
            var start = new ProcessStartInfo(node)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = SourceDirectory,
            };
            foreach (var arg in new[] { CompilerPath, "-p", Path.Combine(SourceDirectory, "tsconfig.json"), "--outDir", outDir, "--pretty", "false" })
                start.ArgumentList.Add(arg);

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"tsc failed on {SourceFile} (exit {process.ExitCode}):\n{await stdout}{await stderr}");
            return await File.ReadAllTextAsync(Path.Combine(outDir, CompiledFile));
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    private static string ThisSourceFile([CallerFilePath] string path = "") => path;
}
