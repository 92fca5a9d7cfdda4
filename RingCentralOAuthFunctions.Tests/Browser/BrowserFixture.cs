using System.Text.Json;
using Microsoft.Playwright;

namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// One headless Debian Chromium (driven by Playwright's bundled driver, nothing downloaded), with its popup blocker on
/// as for the ERP's users, and the front-end module
/// (served as it is), shared by the tests of a class. Does nothing where the tests are skipped; under <c>REQUIRE_BROWSER=1</c> a
/// missing prerequisite fails every test with the reason.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    /// <summary>The switch Playwright adds by default that turns Chromium's popup blocker off.</summary>
    public const string PopupBlockerOffArg = "--disable-popup-blocking";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _moduleJavaScript;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser did not start.");

    /// <summary><c>docs/frontend/ringcentralOAuth.js</c>, exactly as the ERP pastes it in.</summary>
    public string ModuleJavaScript => _moduleJavaScript ?? throw new InvalidOperationException("The front-end module was not read.");

    /// <summary>Where screenshots go: <c>screenshots/</c> in the test output directory.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>
    /// How long a browser test waits for an expected page state or navigation (not a speed target): generous, because
    /// the whole suite shares two cores with Chromium, PostgreSQL and the Functions worker.
    /// </summary>
    public const int WaitTimeoutMs = 30_000;

    /// <summary>
    /// Every <c>WaitForURLAsync</c> ends when the URL is committed; the <c>Expect</c> that follows waits for the page's
    /// content. Playwright's default also waits for the load event, and its .NET client checks "already loaded" and then
    /// subscribes to the event: on busy cores the event can fall between the two, and the wait ran out its 30 s on an
    /// authorize page that had loaded (CI, 2026-12-05).
    /// </summary>
    public static PageWaitForURLOptions UntilCommitted => new() { WaitUntil = WaitUntilState.Commit, Timeout = WaitTimeoutMs };

    public async Task InitializeAsync()
    {
        if (BrowserEnvironment.SkipReason() is not null) return;
        if (BrowserEnvironment.MissingPrerequisite() is { } missing)
            throw new InvalidOperationException($"{BrowserEnvironment.RequireVariable}=1 but the browser tests cannot run: {missing}");

        _moduleJavaScript = FrontEndModule.Read();
        Assertions.SetDefaultExpectTimeout(WaitTimeoutMs);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserEnvironment.ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            // Playwright starts Chromium with its popup blocker off; the ERP's users have it on, so the tests do too
            // (PopupBlockerTests proves it is on).
            IgnoreDefaultArgs = [PopupBlockerOffArg],
            Timeout = 30_000,
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A fresh browser profile whose pages hold a signed-in session with <paramref name="accessToken"/>.</summary>
    public async Task<IBrowserContext> NewSignedInContextAsync(string accessToken)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 600, Height = 700 } });
        context.SetDefaultTimeout(WaitTimeoutMs);
        await context.AddInitScriptAsync($"window.__session = {{ access_token: {JsonSerializer.Serialize(accessToken)} }};");
        return context;
    }

    public static string ScreenshotPath(string name) => Path.Combine(ScreenshotDirectory, name + ".png");

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}
