using System.Collections.Concurrent;
using Microsoft.Playwright;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.LocalHost.Demo;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace RingCentralOAuthFunctions.Tests.Demo;

/// <summary>
/// The demo page in Chromium, as a person uses it: sign in as an ERP user, connect RingCentral through the stand-in's
/// consent page, see the rows; then the attack panel: open a colleague's link and watch it refused. On a phone-sized
/// screen: a same-tab connect, no horizontal scrolling, no failed request (the icon), Disconnect only when connected.
/// </summary>
public sealed class DemoPageBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [BrowserFact]
    public async Task A_person_connects_through_the_consent_page_and_sees_status_and_rows()
    {
        await using var demo = await DemoHost.StartAsync();
        await using var context = await NewDesktopContextAsync();
        var page = await OpenDemoPageAsync(context, demo);
        await Expect(page.Locator(".demo-banner")).ToContainTextAsync("DEMO");

        await page.Locator("#sign-in-hank").ClickAsync();
        await Expect(page.Locator("#who")).ToHaveAttributeAsync("data-user", "hank");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");

        // The popup: the RingCentral stand-in's sign-in and consent page, then the Callback and the ERP callback page.
        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        await BrowserFixture.WaitForUrlAsync(popup, BrowserFixture.StartsWith(demo.RingCentral.Url + "/restapi/oauth/authorize?"));
        await Expect(popup.Locator(".demo")).ToContainTextAsync("DEMO");
        await popup.Locator($"input[name=account][value='{DemoUsers.Hank.Email}']").CheckAsync();
        await popup.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("demo-consent") });
        await popup.Locator("#allow").ClickAsync();

        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-outcome", "success");
        await Expect(page.Locator("#status")).ToHaveTextAsync($"Connected as {DemoUsers.Hank.Email}");
        var issued = Assert.Single(demo.RingCentral.Issued);
        await Expect(page.Locator("#rows-hank-tokens")).ToHaveAttributeAsync("data-stored", "true");
        await Expect(page.Locator("#rows-hank-tokens td[data-column=refresh_token]")).ToHaveTextAsync(issued.RefreshToken[..10] + "…");
        await Expect(page.Locator("#rows-hank-connection td[data-column=status]")).ToHaveTextAsync("connected");
        await Expect(page.Locator("#rows-ivy-tokens")).ToHaveAttributeAsync("data-stored", "false");
        Assert.Equal(issued.RefreshToken, (string?)demo.Supabase.Row(FakeSupabase.TokensTable, DemoUsers.Hank.Id)!["refresh_token"]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("demo-connected"), FullPage = true });

        await page.Locator("#disconnect").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        await Expect(page.Locator("#rows-hank-tokens")).ToHaveAttributeAsync("data-stored", "false");
        Assert.Null(demo.Supabase.Row(FakeSupabase.TokensTable, DemoUsers.Hank.Id));
    }

    [BrowserFact]
    public async Task Opening_a_colleague_s_link_is_refused_and_stores_nothing()
    {
        await using var demo = await DemoHost.StartAsync();
        // Hank is already connected: the attack must neither replace his connection nor give Ivy one.
        const string hanksRefreshToken = "rc-rt-HANKS-OWN-REFRESH-TOKEN";
        demo.Supabase.Seed(FakeSupabase.TokensTable, new System.Text.Json.Nodes.JsonObject
        {
            ["user_id"] = DemoUsers.Hank.Id.ToString(), ["rc_email"] = DemoUsers.Hank.Email, ["refresh_token"] = hanksRefreshToken,
        });
        await using var context = await NewDesktopContextAsync();
        var page = await OpenDemoPageAsync(context, demo);
        await page.Locator("#sign-in-ivy").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");

        // Hank's link, as if he had sent it; Ivy opens it and signs in at RingCentral as herself.
        await page.Locator("#attack-get-other").ClickAsync();
        await Expect(page.Locator("#attack-link")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(demo.RingCentral.Url)));
        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#attack-open").ClickAsync());
        await popup.Locator($"input[name=account][value='{DemoUsers.Ivy.Email}']").CheckAsync();
        await popup.Locator("#allow").ClickAsync();

        await Expect(page.Locator("#attack-result")).ToHaveAttributeAsync("data-refused", "true");
        await Expect(page.Locator("#attack-result")).ToHaveAttributeAsync("data-http-status", "403");
        await Expect(page.Locator("#rows-ivy-tokens")).ToHaveAttributeAsync("data-stored", "false");
        await Expect(page.Locator("#rows-hank-tokens td[data-column=rc_email]")).ToHaveTextAsync(DemoUsers.Hank.Email);
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("demo-attack-refused"), FullPage = true });

        Assert.Empty(demo.RingCentral.Issued);
        Assert.Null(demo.Supabase.Row(FakeSupabase.TokensTable, DemoUsers.Ivy.Id));
        Assert.Null(demo.Supabase.Row(FakeSupabase.ConnectionsTable, DemoUsers.Ivy.Id));
        Assert.Equal(hanksRefreshToken, (string?)demo.Supabase.Row(FakeSupabase.TokensTable, DemoUsers.Hank.Id)!["refresh_token"]);
        Assert.Null(demo.Supabase.Row(FakeSupabase.ConnectionsTable, DemoUsers.Hank.Id));
    }

    [BrowserFact]
    public async Task At_375_px_a_same_tab_connect_fits_the_screen_with_no_failed_request_and_disconnect_only_when_connected()
    {
        await using var demo = await DemoHost.StartAsync();
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 375, Height = 812 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        context.SetDefaultTimeout(BrowserFixture.WaitTimeoutMs);
        var failed = new ConcurrentQueue<string>();
        context.Response += (_, response) =>
        {
            if (response.Status >= 400 && response.Url.StartsWith(demo.BaseUrl, StringComparison.Ordinal)) failed.Enqueue($"{response.Status} {response.Url}");
        };
        var page = await OpenDemoPageAsync(context, demo);
        await page.Locator("#sign-in-hank").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        await Expect(page.Locator("#disconnect")).ToBeHiddenAsync();
        await AssertFitsAsync(page);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("demo-375px-signed-in"), FullPage = true });

        // Same tab: the consent page in this tab, then the ERP callback page finishes it (resumeAfterRedirect) and
        // goes back to the Integrations page, which shows how it ended.
        await page.Locator("#connect-tab").ClickAsync();
        await BrowserFixture.WaitForUrlAsync(page, BrowserFixture.StartsWith(demo.RingCentral.Url + "/restapi/oauth/authorize?"));
        await page.Locator($"input[name=account][value='{DemoUsers.Hank.Email}']").CheckAsync();
        var followed = BrowserFixture.FollowNavigations(page); // the callback page moves on by itself
        await page.Locator("#allow").ClickAsync();
        await BrowserFixture.WaitForUrlAsync(page, BrowserFixture.StartsWith(demo.BaseUrl + "/integrations/callback?status=success"), followed);
        await BrowserFixture.WaitForUrlAsync(page, BrowserFixture.Is(demo.BaseUrl + "/integrations"));
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-outcome", "success");
        await Expect(page.Locator("#status")).ToHaveTextAsync($"Connected as {DemoUsers.Hank.Email}");
        await Expect(page.Locator("#disconnect")).ToBeVisibleAsync();
        await Expect(page.Locator("#rows-hank-tokens")).ToHaveAttributeAsync("data-stored", "true");
        await AssertFitsAsync(page);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("demo-375px-connected"), FullPage = true });
        Assert.NotNull(demo.Supabase.Row(FakeSupabase.TokensTable, DemoUsers.Hank.Id));

        await page.Locator("#disconnect").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        await Expect(page.Locator("#disconnect")).ToBeHiddenAsync();

        // The ERP callback page too (its error state stays on screen).
        await page.GotoAsync(demo.BaseUrl + "/integrations/callback?status=error&message=" + Uri.EscapeDataString(CallbackMessages.Cancelled));
        await Expect(page.Locator("#message")).ToHaveTextAsync(CallbackMessages.Cancelled);
        await AssertFitsAsync(page);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("demo-375px-callback-error") });
        Assert.Empty(failed);
    }

    [BrowserFact]
    public async Task Deny_in_the_popup_shows_the_reason_at_once_and_closes_the_popup()
    {
        await using var demo = await DemoHost.StartAsync();
        await using var context = await NewDesktopContextAsync();
        var page = await OpenDemoPageAsync(context, demo);
        await page.Locator("#sign-in-ivy").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");

        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        popup.Close += (_, _) => closed.TrySetResult();
        await popup.Locator("#deny").ClickAsync();

        // Nobody closes the popup: the page sees the ERP callback page's error, closes the popup and shows the reason.
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-kind", "refused");
        await Expect(page.Locator("#result")).ToHaveTextAsync(CallbackMessages.Cancelled);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("demo-deny") });
        Assert.Empty(demo.RingCentral.Issued);
        Assert.Null(demo.Supabase.Row(FakeSupabase.TokensTable, DemoUsers.Ivy.Id));
    }

    /// <summary>Nothing wider than the screen: the page does not scroll sideways.</summary>
    private async Task<IBrowserContext> NewDesktopContextAsync()
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        context.SetDefaultTimeout(BrowserFixture.WaitTimeoutMs);
        return context;
    }

    private static Task<IPage> OpenDemoPageAsync(IBrowserContext context, DemoApp demo) =>
        BrowserFixture.OpenReadyPageAsync(context, demo.BaseUrl + "/");

    private static async Task AssertFitsAsync(IPage page)
    {
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        var (scrollWidth, clientWidth) = (widths[0], widths[1]);
        Assert.True(scrollWidth <= clientWidth, $"{page.Url} is {scrollWidth} px wide in a {clientWidth} px viewport");
    }
}
