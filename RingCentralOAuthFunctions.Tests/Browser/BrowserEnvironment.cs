namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// What the browser tests need on the machine: Debian's Chromium (the front-end module is served as it is, so no
/// compiler). A missing one skips the tests, unless <c>REQUIRE_BROWSER=1</c> (CI), where they fail. The module's
/// type-check (<see cref="FrontEndModuleTests"/>) needs Node.js and the pinned compiler instead, with the same rule.
/// </summary>
internal static class BrowserEnvironment
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string RequireVariable = "REQUIRE_BROWSER";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>The missing prerequisite and how to install it; null when it is there.</summary>
    public static string? MissingPrerequisite() =>
        File.Exists(ChromiumPath) ? null : $"Chromium is not installed at {ChromiumPath}: install it with `apt-get install -y chromium`.";

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
