using System.Collections.Concurrent;
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
    /// Waits until <paramref name="page"/> is, or has been since <see cref="FollowNavigations"/> began, at a URL that
    /// <paramref name="matches"/>; the <c>Expect</c> that follows waits for the page's content. By polling, not by
    /// Playwright's <c>WaitForURLAsync</c>: its .NET client reads the URL and then subscribes to the navigation (or load)
    /// event, and on busy cores the event can fall between the two, so the wait ran out its 30 s on a page that had
    /// long arrived (CI, 2026-12-05 and 12-06).
    /// </summary>
    public static async Task WaitForUrlAsync(IPage page, Func<string, bool> matches, ConcurrentQueue<string>? followed = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!matches(page.Url) && !(followed?.Any(matches) ?? false))
        {
            if (waited.ElapsedMilliseconds > WaitTimeoutMs)
                throw new TimeoutException($"The page did not reach the expected URL within {WaitTimeoutMs} ms (it is at {new Uri(page.Url).GetLeftPart(UriPartial.Path)}).");
            await Task.Delay(20);
        }
    }

    /// <summary>Every URL <paramref name="page"/>'s main frame commits from now on: for a page that moves on by itself (the ERP callback page) before a wait could see it.</summary>
    public static ConcurrentQueue<string> FollowNavigations(IPage page)
    {
        var urls = new ConcurrentQueue<string>();
        page.FrameNavigated += (_, frame) =>
        {
            if (frame.ParentFrame is null) urls.Enqueue(frame.Url);
        };
        return urls;
    }

    public static Func<string, bool> StartsWith(string prefix) => url => url.StartsWith(prefix, StringComparison.Ordinal);
    public static Func<string, bool> Is(string expected) => url => url == expected;

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

    /// <summary>A new tab of <paramref name="context"/> at <paramref name="url"/>, once the page's script says it is ready (<c>body[data-ready=true]</c>).</summary>
    public static async Task<IPage> OpenReadyPageAsync(IBrowserContext context, string url)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        return page;
    }

    public static string ScreenshotPath(string name) => Path.Combine(ScreenshotDirectory, name + ".png");

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}
