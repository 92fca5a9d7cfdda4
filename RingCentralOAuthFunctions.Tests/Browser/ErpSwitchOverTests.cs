using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// What the ERP's real pages need from the module, in Chromium with its popup blocker on (<see cref="PopupBlockerTests"/>):
/// a popup that survives a slow (cold) auth-url, a refusal that settles at once, a same-tab connect finished by
/// <c>resumeAfterRedirect()</c>, the <c>ringcentral-oauth</c> event after Complete, and connects in a row. The figures
/// (click to popup, settle after Deny) are written to the test output, never asserted: the machine is shared.
/// </summary>
public sealed class ErpSwitchOverTests(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private const string Email = "jane@rebar.test";
    private const string SameTabMarkerKey = "ringcentral-oauth:same-tab-connect";
    private static readonly TimeSpan ColdStart = TimeSpan.FromSeconds(6);

    /// <summary>
    /// In every page of the context: the time of each click and of each <c>window.open</c> (with its URL and result),
    /// and each <c>ringcentral-oauth</c> event, client-side navigation and page load, sent to the test as it happens.
    /// </summary>
    private const string Recorder = """
        (() => {
          const record = (entry) => { try { window.__record?.(JSON.stringify({ at: Date.now(), href: location.href, ...entry })); } catch {} };
          window.__opens = [];
          document.addEventListener("click", () => { window.__clickAt = performance.now(); }, true);
          const open = window.open;
          window.open = function (...args) {
            const called = performance.now() - (window.__clickAt ?? NaN);
            const popup = open.apply(this, args);
            window.__opens.push({ url: String(args[0]), opened: popup !== null, called, ms: performance.now() - (window.__clickAt ?? NaN) });
            return popup;
          };
          window.addEventListener("ringcentral-oauth", (event) => record({ kind: "event", outcome: event.detail.outcome }));
          const pushState = history.pushState;
          history.pushState = function (...args) {
            record({ kind: "navigate" });
            return pushState.apply(this, args);
          };
          window.addEventListener("DOMContentLoaded", () => record({ kind: "load" }));
        })();
        """;

    [BrowserFact]
    public async Task A_slow_auth_url_still_gets_a_popup_opened_inside_the_click_and_the_connect_succeeds()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await PopupFlowTests.StartServiceForAsync(erp, Delay("/api/ringcentral/auth-url", ColdStart));
        var userId = Guid.NewGuid();
        var (context, _) = await SignedInRecordingContextAsync(host, userId);
        await using var _context = context;
        var page = await PopupFlowTests.OpenIntegrationsAsync(context, erp);
        var clicked = new Stopwatch();
        var atRingCentral = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        context.Request += (_, request) =>
        {
            if (request.Url.StartsWith(host.RingCentral.Url + "/", StringComparison.Ordinal)) atRingCentral.TrySetResult(clicked.Elapsed);
        };

        clicked.Start();
        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        var popupEvent = clicked.Elapsed;
        var popupClosed = PopupFlowTests.ClosedAsync(popup);
        var toAuthorize = await atRingCentral.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-outcome", "success", new() { Timeout = 60_000 });
        await popupClosed.WaitAsync(TimeSpan.FromSeconds(10));
        await Expect(page.Locator("#status")).ToHaveTextAsync($"Connected as {Email}");
        Assert.Equal(Single(host.RingCentral.Issued).RefreshToken, (string?)host.Supabase.Row(FakeSupabase.TokensTable, userId)?["refresh_token"]);

        // The popup was opened on about:blank inside the click, not after the 6 s answer (which a blocker refuses).
        var open = Assert.Single(await OpensAsync(page));
        Assert.Equal("about:blank", open.Url);
        Assert.True(open.Opened);
        Assert.True(toAuthorize >= ColdStart - TimeSpan.FromMilliseconds(200), $"the auth-url delay did not apply ({toAuthorize})");
        output.WriteLine($"MEASURED click -> window.open called: {open.Called:F1} ms, returned: {open.Ms:F1} ms (in page); click -> Playwright popup event: {popupEvent.TotalMilliseconds:F0} ms; " +
            $"click -> popup at RingCentral: {toAuthorize.TotalMilliseconds:F0} ms (auth-url delayed {ColdStart.TotalSeconds} s)");
    }

    [BrowserFact]
    public async Task Deny_rejects_as_refused_with_the_callback_page_s_message_closes_the_popup_and_stores_nothing()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await PopupFlowTests.StartServiceForAsync(erp);
        host.RingCentral.AuthorizeError = "access_denied";
        var userId = Guid.NewGuid();
        var (context, records) = await SignedInRecordingContextAsync(host, userId);
        await using var _context = context;
        var errorPageRequestedAt = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        context.Request += (_, request) =>
        {
            if (request.Url.StartsWith(erp.CallbackUrl + "?status=error", StringComparison.Ordinal))
                errorPageRequestedAt.TrySetResult(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        };
        var page = await PopupFlowTests.OpenIntegrationsAsync(context, erp);

        var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
        var popupClosed = PopupFlowTests.ClosedAsync(popup);

        // Nobody closes the popup here: the module sees the error page, closes it and rejects with its message.
        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-kind", "refused");
        await Expect(page.Locator("#result")).ToHaveTextAsync(CallbackMessages.Cancelled);
        await popupClosed.WaitAsync(TimeSpan.FromSeconds(10));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("erp-deny-refused") });
        await Expect(page.Locator("#event")).ToHaveAttributeAsync("data-outcome", "refused");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");

        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
        var settled = records.Single(r => r.Kind == "event" && r.Href.StartsWith(erp.Url + "/", StringComparison.Ordinal) && !r.Href.Contains("callback", StringComparison.Ordinal));
        Assert.Equal("refused", settled.Outcome);
        output.WriteLine($"MEASURED error page requested -> connect() rejected as refused: {settled.At - await errorPageRequestedAt.Task} ms");
    }

    [BrowserFact]
    public async Task Same_tab_connect_is_finished_by_resume_after_redirect_with_the_ticket_gone_before_the_page_moves_on()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await PopupFlowTests.StartServiceForAsync(erp);
        var userId = Guid.NewGuid();
        var (context, records) = await SignedInRecordingContextAsync(host, userId);
        await using var _context = context;
        var page = await PopupFlowTests.OpenIntegrationsAsync(context, erp);
        await Expect(page.Locator("#status")).ToHaveTextAsync("Not connected");
        Assert.Equal("null", await page.Locator("body").GetAttributeAsync("data-resumed"));

        await page.Locator("#connect-tab").ClickAsync();

        // RingCentral, the Callback, the ERP callback page (resumeAfterRedirect: Complete), then /integrations.
        await BrowserFixture.WaitForUrlAsync(page, BrowserFixture.Is(erp.Url + "/integrations"));
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.Locator("#status")).ToHaveTextAsync($"Connected as {Email}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = BrowserFixture.ScreenshotPath("erp-same-tab-connected") });
        Assert.Single(context.Pages);

        var issued = Single(host.RingCentral.Issued);
        Assert.Equal(issued.RefreshToken, (string?)host.Supabase.Row(FakeSupabase.TokensTable, userId)?["refresh_token"]);
        Assert.Equal("connected", (string?)host.Supabase.Row(FakeSupabase.ConnectionsTable, userId)?["status"]);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectSucceeded");

        // On the callback page: the event (after Complete) and, before the page moved on, no fragment in the address.
        var onCallback = records.Where(r => r.Href.StartsWith(erp.CallbackUrl, StringComparison.Ordinal)).ToList();
        var success = Assert.Single(records, r => r.Kind == "event");
        Assert.Equal("success", success.Outcome);
        Assert.Equal(erp.CallbackUrl + "?status=success&integration=ringcentral", success.Href);
        var navigate = Assert.Single(onCallback, r => r.Kind == "navigate");
        Assert.DoesNotContain("#", navigate.Href, StringComparison.Ordinal);
        Assert.DoesNotContain("ticket", navigate.Href, StringComparison.Ordinal);
        Assert.Null(await page.EvaluateAsync<string?>($"() => sessionStorage.getItem({JsonSerializer.Serialize(SameTabMarkerKey)})"));
        // The ticket is in no history entry either: going back shows the callback page without it.
        await page.GoBackAsync();
        Assert.Equal(erp.CallbackUrl + "?status=success&integration=ringcentral", page.Url);
    }

    [BrowserFact]
    public async Task Another_user_s_link_in_a_plain_tab_resumes_nothing_and_stores_nothing()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await PopupFlowTests.StartServiceForAsync(erp);
        var link = await host.GetAuthUrlAsync(Guid.NewGuid(), Email); // Hank's link, sent to Ivy
        var (context, records) = await SignedInRecordingContextAsync(host, Guid.NewGuid(), "ivy@rebar.test");
        await using var _context = context;
        var completes = new ConcurrentQueue<string>();
        context.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/api/ringcentral/complete", StringComparison.Ordinal)) completes.Enqueue(request.Method);
        };
        var tab = await context.NewPageAsync();

        await tab.GotoAsync(link);
        await BrowserFixture.WaitForUrlAsync(tab, BrowserFixture.StartsWith(erp.CallbackUrl + "?status=success"));
        await Expect(tab.Locator("body")).ToHaveAttributeAsync("data-resumed", "null");
        Assert.StartsWith("#ticket=", await tab.EvaluateAsync<string>("() => location.hash")); // untouched: not this tab's connect
        await BrowserFixture.WaitForUrlAsync(tab, BrowserFixture.Is(erp.Url + "/integrations"));
        await Expect(tab.Locator("body")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(tab.Locator("#status")).ToHaveTextAsync("Not connected");

        Assert.Empty(completes);
        Assert.DoesNotContain(records, r => r.Kind == "event");
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
    }

    /// <summary>
    /// Complete answers 3 s late: a page that reloads statuses on the popup's <c>oauth-success</c> would read
    /// <c>not_connected</c>; the stand-in reloads on the module's event and reads <c>connected</c>.
    /// </summary>
    [BrowserFact]
    public async Task The_event_comes_after_complete_so_a_reload_on_it_reads_connected()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await PopupFlowTests.StartServiceForAsync(erp, Delay("/api/ringcentral/complete", TimeSpan.FromSeconds(3)));
        var userId = Guid.NewGuid();
        var (context, records) = await SignedInRecordingContextAsync(host, userId);
        await using var _context = context;
        var page = await PopupFlowTests.OpenIntegrationsAsync(context, erp);
        var statusAtOAuthSuccess = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.ExposeFunctionAsync("__statusAtOAuthSuccess", (string status) => statusAtOAuthSuccess.TrySetResult(status));
        await page.EvaluateAsync("""
            () => window.addEventListener("message", async (event) => {
              if (event.data?.type !== "oauth-success") return;
              const r = await fetch(window.__env.VITE_RINGCENTRAL_OAUTH_BASE_URL + "/api/ringcentral/status",
                { headers: { Authorization: "Bearer " + window.__session.access_token } });
              window.__statusAtOAuthSuccess((await r.json()).status);
            })
            """);

        await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());

        await Expect(page.Locator("#event")).ToHaveAttributeAsync("data-outcome", "success", new() { Timeout = BrowserFixture.WaitTimeoutMs });
        await Expect(page.Locator("#event")).ToHaveAttributeAsync("data-status", "connected");
        Assert.Equal("not_connected", await statusAtOAuthSuccess.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Single(records, r => r.Kind == "event");
    }

    [BrowserFact]
    public async Task Five_connects_in_a_row_each_open_a_popup_in_the_click_and_succeed_and_a_leftover_same_tab_marker_does_nothing()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript);
        await using var host = await PopupFlowTests.StartServiceForAsync(erp);
        var userId = Guid.NewGuid();
        var (context, records) = await SignedInRecordingContextAsync(host, userId);
        await using var _context = context;
        var page = await PopupFlowTests.OpenIntegrationsAsync(context, erp);
        // A same-tab connect abandoned at RingCentral earlier: the popup's copy of sessionStorage must not carry it.
        await page.EvaluateAsync($"() => sessionStorage.setItem({JsonSerializer.Serialize(SameTabMarkerKey)}, String(Date.now()))");

        for (var i = 1; i <= 5; i++)
        {
            var popup = await page.RunAndWaitForPopupAsync(() => page.Locator("#connect").ClickAsync());
            var popupClosed = PopupFlowTests.ClosedAsync(popup);
            await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-outcome", "success");
            await popupClosed.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(i, host.RingCentral.Issued.Count);
            Assert.Null(await page.EvaluateAsync<string?>($"() => sessionStorage.getItem({JsonSerializer.Serialize(SameTabMarkerKey)})"));
        }

        await Expect(page.Locator("#status")).ToHaveTextAsync($"Connected as {Email}");
        Assert.Equal(5, host.Logs.GetSnapshot().Count(r => r.Id.Name == "ConnectSucceeded"));
        Assert.Equal(host.RingCentral.Issued.Last().RefreshToken, (string?)host.Supabase.Row(FakeSupabase.TokensTable, userId)?["refresh_token"]);
        // Five events, all in the opener; the popup's callback page (which runs resumeAfterRedirect too) resumed nothing.
        Assert.Equal(5, records.Count(r => r.Kind == "event" && r.Outcome == "success" && !r.Href.Contains("callback", StringComparison.Ordinal)));
        Assert.Equal(5, records.Count(r => r.Kind == "event"));
        var opens = await OpensAsync(page);
        Assert.Equal(5, opens.Count);
        Assert.All(opens, o => Assert.True(o.Opened && o.Url == "about:blank"));
        output.WriteLine("MEASURED click -> window.open called / returned (in page), five connects: " + string.Join(", ", opens.Select(o => $"{o.Called:F1}/{o.Ms:F1}")) + " ms");
    }

    [BrowserFact]
    public async Task Without_the_service_s_address_connect_opens_no_popup_and_says_not_configured()
    {
        await using var erp = await StandInErp.StartAsync(browser.ModuleJavaScript); // ServiceBaseUrl left unset
        await using var context = await browser.NewSignedInContextAsync("any.token");
        var page = await PopupFlowTests.OpenIntegrationsAsync(context, erp);

        await page.Locator("#connect").ClickAsync();

        await Expect(page.Locator("#result")).ToHaveAttributeAsync("data-kind", "not_configured");
        await Expect(page.Locator("#event")).ToHaveAttributeAsync("data-outcome", "not_configured");
        Assert.Single(context.Pages);
    }

    private sealed record Recorded(string Kind, string Href, long At, string? Outcome);

    /// <summary>One <c>window.open</c>: <paramref name="Called"/> ms after the click it was called, <paramref name="Ms"/> ms after the click it returned.</summary>
    private sealed record Open(string Url, bool Opened, double Called, double Ms);

    private async Task<(IBrowserContext Context, ConcurrentQueue<Recorded> Records)> SignedInRecordingContextAsync(
        ServiceHost host, Guid userId, string email = Email)
    {
        var context = await browser.NewSignedInContextAsync(host.Supabase.MintAccessToken(userId, email));
        var records = new ConcurrentQueue<Recorded>();
        await context.ExposeFunctionAsync("__record", (string json) =>
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            records.Enqueue(new Recorded(root.GetProperty("kind").GetString()!, root.GetProperty("href").GetString()!,
                root.GetProperty("at").GetInt64(), root.TryGetProperty("outcome", out var o) ? o.GetString() : null));
        });
        await context.AddInitScriptAsync(Recorder);
        return (context, records);
    }

    private static async Task<List<Open>> OpensAsync(IPage page)
    {
        var json = await page.EvaluateAsync<JsonElement>("() => window.__opens");
        return json.EnumerateArray().Select(o => new Open(o.GetProperty("url").GetString()!, o.GetProperty("opened").GetBoolean(), o.GetProperty("called").GetDouble(), o.GetProperty("ms").GetDouble())).ToList();
    }

    private static T Single<T>(IEnumerable<T> items) => Assert.Single(items);

    /// <summary>The service answers <c>POST <paramref name="path"/></c> only after <paramref name="delay"/> (a cold start, a slow upstream).</summary>
    private static Action<WebApplicationBuilder> Delay(string path, TimeSpan delay) =>
        builder => builder.Services.AddSingleton<IStartupFilter>(new DelayFilter(path, delay));

    private sealed class DelayFilter(string path, TimeSpan delay) : IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextStep) =>
            {
                if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path == path) await Task.Delay(delay, context.RequestAborted);
                await nextStep(context);
            });
            next(app);
        };
    }
}
