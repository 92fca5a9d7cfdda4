using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// The browser tests run with Chromium's popup blocker on (<see cref="BrowserFixture"/> removes Playwright's
/// <c>--disable-popup-blocking</c>): a popup opened without a click, or some seconds after it, is blocked; one opened
/// inside the click is not. Without this, a popup opened after a slow auth-url answer would pass the tests and fail users.
/// </summary>
public sealed class PopupBlockerTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Page = """
        <!doctype html>
        <html><body>
          <button id="now">inside the click</button>
          <button id="late">6 s after the click</button>
          <script>
            const open = (name) => window.open("about:blank", name, "width=300,height=300") === null ? "blocked" : "opened";
            document.body.dataset.atLoad = open("at-load");
            document.getElementById("now").addEventListener("click", () => { document.body.dataset.now = open("now"); });
            document.getElementById("late").addEventListener("click", () => {
              setTimeout(() => { document.body.dataset.late = open("late"); }, 6000);
            });
          </script>
        </body></html>
        """;

    [BrowserFact]
    public async Task A_popup_outside_a_click_or_6_s_after_it_is_blocked_and_one_inside_the_click_opens()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var context = await browser.NewSignedInContextAsync("unused");
        var page = await context.NewPageAsync();
        // Served as a page of the ERP's origin and loaded by navigation (setContent would run its script as a gesture).
        await page.RouteAsync(erp.Url + "/popup-blocker", route => route.FulfillAsync(new() { ContentType = "text/html", Body = Page }));
        await page.GotoAsync(erp.Url + "/popup-blocker");

        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-at-load", "blocked");

        // Waiting without polling the page: Playwright runs its evaluations (and so Expect's polls) as user gestures,
        // which would renew the click's activation.
        await page.Locator("#late").ClickAsync();
        await Task.Delay(TimeSpan.FromSeconds(9));
        Assert.Equal("blocked", await page.Locator("body").GetAttributeAsync("data-late"));
        Assert.Single(context.Pages);

        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#now").ClickAsync());
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-now", "opened");
        Assert.Equal("about:blank", popup.Url);
        Assert.Equal(2, context.Pages.Count);
    }
}
