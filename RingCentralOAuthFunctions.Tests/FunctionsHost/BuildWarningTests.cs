using System.Text.Json;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>
/// Issue 20 item 7: the test command prints no NU1603. Its only source was the WorkerExtensions project the Functions
/// SDK generates and restores under <c>obj/</c> during the build; NuGet keeps a restore's warnings in that project's
/// <c>project.assets.json</c> and prints them again on every build, so the file says what the output shows.
/// </summary>
public sealed class BuildWarningTests
{
    [Fact]
    public void The_generated_worker_extensions_project_restores_without_nu1603()
    {
        // .../RingCentralOAuthFunctions/bin/<Configuration>/net10.0 -> .../RingCentralOAuthFunctions/obj/<Configuration>/net10.0
        var output = new DirectoryInfo(FunctionsAppHost.AppDirectory);
        var configuration = output.Parent!.Name;
        var project = output.Parent.Parent!.Parent!.FullName;
        var assets = Path.Combine(project, "obj", configuration, output.Name, "WorkerExtensions", "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"the Functions build restored no WorkerExtensions project at {assets}");

        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        var logged = json.RootElement.TryGetProperty("logs", out var logs)
            ? logs.EnumerateArray().Select(l => $"{l.GetProperty("code").GetString()}: {l.GetProperty("message").GetString()}").ToList()
            : [];
        Assert.DoesNotContain(logged, l => l.StartsWith("NU1603", StringComparison.Ordinal));
    }
}
