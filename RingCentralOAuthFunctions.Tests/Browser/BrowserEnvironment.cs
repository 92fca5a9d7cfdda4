namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// What the browser tests need on the machine: Debian's Chromium, Node.js, and the pinned TypeScript compiler in
/// <c>docs/frontend/node_modules</c>. Missing ones skip the tests, unless <c>REQUIRE_BROWSER=1</c> (CI), where they fail.
/// </summary>
internal static class BrowserEnvironment
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string RequireVariable = "REQUIRE_BROWSER";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>The first missing prerequisite and how to install it; null when all are there.</summary>
    public static string? MissingPrerequisite()
    {
        if (!File.Exists(ChromiumPath))
            return $"Chromium is not installed at {ChromiumPath}: install it with `apt-get install -y chromium`.";
        if (FrontEndModule.FindNode() is null)
            return "Node.js is not on PATH (it runs the TypeScript compiler): install it with `apt-get install -y nodejs npm`.";
        if (!File.Exists(FrontEndModule.CompilerPath))
            return $"The TypeScript compiler for the front-end module is not installed: run `npm ci --prefix {FrontEndModule.SourceDirectory}`.";
        return null;
    }

    /// <summary>Why the browser tests are skipped here, or null when they run (always null when required).</summary>
    public static string? SkipReason() =>
        Required ? null : MissingPrerequisite() is { } missing ? $"{missing} (With {RequireVariable}=1 this is a failure, not a skip.)" : null;
}

/// <summary>A fact that needs a browser: skipped with install instructions where one is missing, failed instead under <c>REQUIRE_BROWSER=1</c>.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (BrowserEnvironment.SkipReason() is { } reason) Skip = reason;
    }
}
