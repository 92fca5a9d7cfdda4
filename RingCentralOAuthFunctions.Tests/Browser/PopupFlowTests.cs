using System.Collections.Concurrent;
using Microsoft.Playwright;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;
using static Microsoft.Playwright.Assertions;

namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// The ERP's popup flow in a real browser, across three loopback origins: the stand-in ERP (A) running the documented
/// front-end module, our service (B) and the fake RingCentral (C); plus a page on an origin the service does not allow (D).
/// </summary>
public sealed class PopupFlowTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Email = "jane@rebar.test";

    // Texts of docs/frontend/ringcentralOAuth.js (ringCentralOAuthMessages).
    private const string SignInAgain = "Your session has expired. Please sign in again.";
    private const string NetworkFailure = "Could not reach the RingCentral connection service. Check your internet connection and try again.";

    [BrowserFact]
    public async Task Connect_popup_stores_the_connection_and_tells_the_opener_then_disconnect_clears_it()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await StartServiceForAsync(erp);
        var userId = Guid.NewGuid();
        await using var context = await browser.NewSignedInContextAsync(host.Supabase.MintAccessToken(userId, Email));
        var navigations = RecordNavigations(context);
        var page = await OpenIntegrationsAsync(context, erp);
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");

        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        var popupClosed = ClosedAsync(popup);
        await BrowserFixture.WaitForUrlAsync(popup, BrowserFixture.StartsWith(erp.CallbackUrl + "?"));
        await Expect(popup.Locator("#message")).ToHaveTextAsync("Connected!"); // the ERP page, unchanged: no email on the URL any more
        Assert.Matches(@"^#ticket=[A-Za-z0-9_-]+$", await popup.EvaluateAsync<string>("() => location.hash"));
        await popup.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("popup-success") });

        // The opener got oauth-success from its own origin, read the ticket, Complete answered 200, the popup closed
        // itself, the statuses were reloaded.
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-outcome", "success");
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectSucceeded");
        await popupClosed.WaitAsync(TimeSpan.FromSeconds(5));
        await Expect(page.Locator("#status")).ToHaveTextAsync($"Connected as {Email}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("erp-connected") });

        // The popup went A -> C (authorize) -> B (callback) -> A (callback page), with no redirect_uri from the browser.
        var popupTrail = navigations.Where(u => !u.StartsWith(erp.Url + "/?", StringComparison.Ordinal) && u != erp.Url + "/").ToList();
        Assert.Collection(popupTrail,
            u => Assert.StartsWith(host.RingCentral.Url + "/restapi/oauth/authorize?", u),
            u => Assert.StartsWith(host.CallbackUrl + "?", u),
            u => Assert.StartsWith(erp.CallbackUrl + "?status=success", u));

        var issued = Assert.Single(host.RingCentral.Issued);
        var tokens = host.Supabase.Row(FakeSupabase.TokensTable, userId);
        Assert.NotNull(tokens);
        Assert.Equal(issued.RefreshToken, (string?)tokens["refresh_token"]);
        Assert.Equal(Email, (string?)tokens["rc_email"]);
        var connection = host.Supabase.Row(FakeSupabase.ConnectionsTable, userId);
        Assert.NotNull(connection);
        Assert.Equal("connected", (string?)connection["status"]);

        await page.Locator("#disconnect").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, userId));
        Assert.Null(host.Supabase.Row(FakeSupabase.ConnectionsTable, userId));
        Assert.Equal([issued.RefreshToken], host.RingCentral.Revoked);
    }

    /// <summary>
    /// The same popup flow against the app that ships: the built Functions app under the Functions test host, whose
    /// platform-style CORS (not the app's) lets the ERP origin call it.
    /// </summary>
    [BrowserFact]
    public async Task Connect_popup_through_the_functions_app_stores_the_connection_then_disconnect_clears_it()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await FunctionsHost.FunctionsAppHost.StartAsync(new Dictionary<string, string?>
        {
            ["OAuth:AppRedirectUrl"] = erp.CallbackUrl,
            ["Cors:AllowedOrigins"] = erp.Url,
        });
        erp.ServiceBaseUrl = host.BaseUrl;
        var userId = Guid.NewGuid();
        await using var context = await browser.NewSignedInContextAsync(host.Supabase.MintAccessToken(userId, Email));
        var page = await OpenIntegrationsAsync(context, erp);
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");

        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        var popupClosed = ClosedAsync(popup);
        await BrowserFixture.WaitForUrlAsync(popup, BrowserFixture.StartsWith(erp.CallbackUrl + "?status=success"));
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-outcome", "success");
        await popupClosed.WaitAsync(TimeSpan.FromSeconds(5));
        await Expect(page.Locator("#status")).ToHaveTextAsync($"Connected as {Email}");

        var issued = Assert.Single(host.RingCentral.Issued);
        Assert.Equal(issued.RefreshToken, (string?)host.Supabase.Row(FakeSupabase.TokensTable, userId)?["refresh_token"]);
        Assert.Equal("connected", (string?)host.Supabase.Row(FakeSupabase.ConnectionsTable, userId)?["status"]);

        await page.Locator("#disconnect").ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, userId));
        Assert.Null(host.Supabase.Row(FakeSupabase.ConnectionsTable, userId));
        Assert.Equal([issued.RefreshToken], host.RingCentral.Revoked);
    }

    [BrowserFact]
    public async Task Cancel_shows_the_fixed_message_and_refused_callers_get_clear_errors()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var stranger = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await StartServiceForAsync(erp);
        stranger.ServiceBaseUrl = host.BaseUrl;
        host.RingCentral.AuthorizeError = "access_denied";
        var userId = Guid.NewGuid();
        await using var context = await browser.NewSignedInContextAsync(host.Supabase.MintAccessToken(userId, Email));
        var page = await OpenIntegrationsAsync(context, erp);

        // (b) The user cancels at RingCentral: the popup reaches the ERP callback page with the fixed text, and the
        // opener closes it and shows that text at once; nothing is exchanged or written.
        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        var popupClosed = ClosedAsync(popup);
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-kind", "refused");
        await Expect(page.Locator("#result")).ToHaveTextAsync(CallbackMessages.Cancelled);
        await popupClosed.WaitAsync(TimeSpan.FromSeconds(10));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("erp-cancelled") });
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));

        // The user closes the popup on RingCentral's sign-in page: "closed", and the status is reloaded.
        host.RingCentral.AuthorizeError = null;
        host.RingCentral.InteractiveConsent = true;
        popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        await BrowserFixture.WaitForUrlAsync(popup, BrowserFixture.StartsWith(host.RingCentral.Url + "/restapi/oauth/authorize?"));
        await popup.CloseAsync();
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-outcome", "closed");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");

        // 401: a token the service refuses asks the user to sign in again, and opens no popup.
        await page.EvaluateAsync("() => { window.__session = { access_token: 'expired.or.forged' }; }");
        await page.Locator("#connect").ClickAsync();
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-kind", "unauthorized");
        await Expect(page.Locator("#result")).ToHaveTextAsync(SignInAgain);
        Assert.Single(context.Pages);

        // (c) A page on an origin not in Cors:AllowedOrigins, with a valid token: the browser refuses the answer.
        var strangerPage = await context.NewPageAsync();
        var authUrlFailed = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        strangerPage.RequestFailed += (_, request) =>
        {
            if (request.Url == host.BaseUrl + "/api/ringcentral/auth-url") authUrlFailed.TrySetResult(request.Failure);
        };
        await strangerPage.GotoAsync(stranger.Url + "/");
        await Expect(strangerPage.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        var startsBefore = ConnectStartedCount(host);
        await strangerPage.Locator("#connect").ClickAsync();
        await Expect(strangerPage.Locator("#result")).ToHaveAttributeAsync("data-kind", "network");
        await Expect(strangerPage.Locator("#result")).ToHaveTextAsync(NetworkFailure);
        await strangerPage.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("stranger-origin-refused") });
        Assert.NotNull(await authUrlFailed.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(startsBefore, ConnectStartedCount(host));
        Assert.Equal(2, context.Pages.Count);
    }

    [BrowserFact]
    public async Task When_complete_refuses_connect_rejects_with_the_services_fixed_text_and_nothing_is_stored()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await StartServiceForAsync(erp);
        host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(400, FakeRingCentral.OAuthErrorBody("invalid_grant", "OAU-106", "expired")));
        var userId = Guid.NewGuid();
        await using var context = await browser.NewSignedInContextAsync(host.Supabase.MintAccessToken(userId, Email));
        var page = await OpenIntegrationsAsync(context, erp);

        await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());

        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-kind", "unavailable");
        await Expect(page.Locator("#result")).ToHaveTextAsync(CallbackMessages.Rejected);
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        Assert.Single(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
    }

    [BrowserFact]
    public async Task A_link_opened_in_a_new_tab_without_an_opener_stores_nothing_and_the_page_goes_to_integrations()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await StartServiceForAsync(erp);
        var hank = Guid.NewGuid();
        // Hank's authorize link, sent to a colleague who opens it in a tab of her own signed-in browser.
        var link = await host.GetAuthUrlAsync(hank, Email);
        await using var context = await browser.NewSignedInContextAsync(host.Supabase.MintAccessToken(Guid.NewGuid(), "ivy@rebar.test"));
        var tab = await context.NewPageAsync();

        await tab.GotoAsync(link);
        await BrowserFixture.WaitForUrlAsync(tab, BrowserFixture.StartsWith(erp.CallbackUrl + "?status=success"));
        Assert.StartsWith("#ticket=", await tab.EvaluateAsync<string>("() => location.hash"));
        Assert.True(await tab.EvaluateAsync<bool>("() => window.opener === null"));

        // As the ERP's page: no opener, so after 2 s it goes to /integrations, and the ticket is gone with the fragment.
        await BrowserFixture.WaitForUrlAsync(tab, BrowserFixture.Is(erp.Url + "/integrations"));
        await Expect(tab.Locator("body")).ToHaveAttributeAsync("data-ready", "true"); // the Integrations page has loaded
        Assert.Equal("", await tab.EvaluateAsync<string>("() => location.hash"));

        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Empty(host.Supabase.RequestsTo("POST", "/rest/v1/"));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
    }

    /// <summary>Our service (B) sending the popup back to <paramref name="erp"/>'s callback page and allowing only its origin.</summary>
    internal static async Task<ServiceHost> StartServiceForAsync(StandInErp erp, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null)
    {
        var host = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["OAuth:AppRedirectUrl"] = erp.CallbackUrl,
            ["Cors:AllowedOrigins"] = erp.Url,
        }, configure);
        erp.ServiceBaseUrl = host.BaseUrl;
        return host;
    }

    internal static Task<IPage> OpenIntegrationsAsync(IBrowserContext context, StandInErp erp) =>
        BrowserFixture.OpenReadyPageAsync(context, erp.Url + "/");

    private static ConcurrentQueue<string> RecordNavigations(IBrowserContext context)
    {
        var urls = new ConcurrentQueue<string>();
        context.Request += (_, request) =>
        {
            if (request.IsNavigationRequest) urls.Enqueue(request.Url);
        };
        return urls;
    }

    internal static Task ClosedAsync(IPage page)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Close += (_, _) => closed.TrySetResult();
        if (page.IsClosed) closed.TrySetResult();
        return closed.Task;
    }

    private static int ConnectStartedCount(ServiceHost host) =>
        host.Logs.GetSnapshot().Count(r => r.Id.Name == "ConnectStarted");
}
