using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RingCentralOAuthFunctions.Tests.Browser;

/// <summary>
/// A stand-in for the ERP's pages on its own loopback origin: <c>/</c> is an Integrations card that uses the
/// front-end module exactly as documented (base URL from the build-time environment, token from the session), and
/// <c>/integrations/callback</c> behaves as the ERP's callback page does (see shared/reference/existing-system.md).
/// </summary>
internal sealed class StandInErp : IAsyncDisposable
{
    /// <summary>How long the callback page waits before closing itself on success, as the ERP's does.</summary>
    public const int CloseDelayMs = 1500;

    /// <summary>Without an opener, how long the callback page waits before going to <c>/integrations</c>, as the ERP's does.</summary>
    public const int NoOpenerRedirectDelayMs = 2000;

    private readonly WebApplication _app;

    private StandInErp(WebApplication app)
    {
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = address.TrimEnd('/');
    }

    /// <summary>The origin, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; }

    public string CallbackUrl => Url + "/integrations/callback";

    /// <summary>What Vite would inject as <c>import.meta.env.VITE_RINGCENTRAL_OAUTH_BASE_URL</c>.</summary>
    public string? ServiceBaseUrl { get; set; }

    public static async Task<StandInErp> StartAsync(string moduleJavaScript)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        StandInErp? erp = null;
        app.MapGet("/", () => Html(IndexPage));
        app.MapGet("/integrations", () => Html(IndexPage));
        app.MapGet("/integrations/callback", () => Html(CallbackPage));
        app.MapGet("/callback.js", () => Results.Text(CallbackScript, "text/javascript; charset=utf-8"));
        app.MapGet("/" + FrontEndModule.FileName, () => Results.Text(moduleJavaScript, "text/javascript; charset=utf-8"));
        app.MapGet("/env.js", () => Results.Text(
            "window.__env = " + JsonSerializer.Serialize(new Dictionary<string, string?> { ["VITE_RINGCENTRAL_OAUTH_BASE_URL"] = erp!.ServiceBaseUrl }) + ";",
            "text/javascript; charset=utf-8"));
        await app.StartAsync();
        erp = new StandInErp(app);
        return erp;
    }

    private static IResult Html(string body) => Results.Text(body, "text/html; charset=utf-8");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private const string Style = """
        <style>
          body { font-family: "DejaVu Sans", sans-serif; margin: 0; background: #f4f5f7; color: #1f2933; }
          header { background: #1f2933; color: #fff; padding: 12px 24px; font-weight: bold; }
          main { padding: 24px; }
          .card { background: #fff; border: 1px solid #d9dde3; border-radius: 8px; padding: 16px 20px; max-width: 520px; }
          .card h2 { margin: 0 0 8px; font-size: 18px; }
          button { font-size: 14px; padding: 6px 14px; margin-right: 8px; border-radius: 6px; border: 1px solid #9aa5b1; background: #fff; }
          button.primary { background: #0a66e4; border-color: #0a66e4; color: #fff; }
          #result:empty { display: none; }
          #result { margin-top: 12px; padding: 8px 10px; border-radius: 6px; background: #eef2f7; }
          #result[data-kind] { background: #fde8e8; color: #9b1c1c; }
          .outcome { max-width: 460px; margin: 80px auto; text-align: center; background: #fff; border: 1px solid #d9dde3; border-radius: 8px; padding: 32px; }
          .outcome.success h1 { color: #057a55; }
          .outcome.error h1 { color: #c81e1e; }
        </style>
        """;

    /// <summary>
    /// The Integrations card. <c>window.__session</c> stands in for supabase-js's stored session (the test injects a
    /// token minted by the fake Supabase); the rest is the documented use of the module.
    /// </summary>
    /// <summary>How both pages make the module's client, as the ERP's code does: the base URL from the env, the session's token.</summary>
    private const string CreateClient = """
        const ringCentral = createRingCentralOAuth({
                      baseUrl: window.__env.VITE_RINGCENTRAL_OAUTH_BASE_URL,
                      getAccessToken: async () => window.__session?.access_token,
                      window,
                    });
        """;

    private static readonly string IndexPage = $$"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>Integrations - stand-in ERP</title>
          {{Style}}
          <script src="/env.js"></script>
        </head>
        <body>
          <header>rebar.shop ERP (stand-in)</header>
          <main>
            <section class="card">
              <h2>RingCentral</h2>
              <p id="status">Loading...</p>
              <button id="connect" class="primary">Connect</button>
              <button id="connect-tab">Connect in this tab</button>
              <button id="disconnect">Disconnect</button>
              <p id="result" role="status"></p>
              <p id="event"></p>
            </section>
          </main>
          <script type="module">
            import { createRingCentralOAuth, RingCentralOAuthError } from "/ringcentralOAuth.js";

            {{CreateClient}}
            // As the top of the ERP's main.tsx: on every page load (here: nothing to resume, it resolves null).
            const resumed = ringCentral.resumeAfterRedirect();
            const status = document.getElementById("status");
            const result = document.getElementById("result");
            const eventInfo = document.getElementById("event");

            // As the guide says: statuses reload on the module's event (after Complete), not on the popup's oauth-success.
            window.addEventListener("ringcentral-oauth", async (event) => {
              eventInfo.dataset.outcome = event.detail.outcome;
              eventInfo.textContent = `Connect ended: ${event.detail.outcome}`;
              try {
                eventInfo.dataset.status = (await ringCentral.getStatus()).status;
              } catch {
                eventInfo.dataset.status = "unknown";
              }
            });

            function showError(error) {
              result.dataset.kind = error instanceof RingCentralOAuthError ? error.kind : "unknown";
              result.textContent = error instanceof Error ? error.message : String(error);
            }

            async function reloadStatus() {
              try {
                const s = await ringCentral.getStatus();
                status.dataset.status = s.status;
                status.textContent = s.status === "connected" ? `Connected as ${s.email}`
                  : s.status === "error" ? `Error: ${s.error}` : "Not connected";
              } catch (error) {
                status.dataset.status = "unknown";
                status.textContent = "Status unavailable";
                showError(error);
              }
            }

            document.getElementById("connect").addEventListener("click", async () => {
              delete result.dataset.kind;
              delete result.dataset.outcome;
              result.textContent = "Connecting...";
              try {
                const outcome = await ringCentral.connect();
                result.dataset.outcome = outcome;
                result.textContent = outcome === "success" ? "RingCentral connected." : `Popup ended: ${outcome}.`;
              } catch (error) {
                showError(error);
              }
              await reloadStatus();
            });

            document.getElementById("connect-tab").addEventListener("click", async () => {
              delete result.dataset.kind;
              result.textContent = "Going to RingCentral...";
              try {
                await ringCentral.connectInThisTab();
              } catch (error) {
                showError(error);
              }
            });

            document.getElementById("disconnect").addEventListener("click", async () => {
              try {
                await ringCentral.disconnect();
                result.textContent = "RingCentral disconnected.";
              } catch (error) {
                showError(error);
              }
              await reloadStatus();
            });

            await reloadStatus();
            document.body.dataset.resumed = String(await resumed);
            document.body.dataset.ready = "true";
          </script>
        </body>
        </html>
        """;

    /// <summary>
    /// The popup's last stop, as the ERP's (unchanged): success posts <c>oauth-success</c> to the opener with target
    /// <c>"*"</c> and closes after 1.5 s, or with no opener navigates client-side to <c>/integrations</c> after 2 s;
    /// error shows <c>message</c> and posts nothing. It never rewrites its URL, so the opener can read
    /// <c>#ticket=</c> from it. The script is the demo's (<c>RingCentralOAuthFunctions.LocalHost/Demo/Pages/callback.js</c>):
    /// one copy of that behaviour. Before it, as the top of the ERP's <c>main.tsx</c>, the app start calls
    /// <c>resumeAfterRedirect()</c>. The ERP is one document whose router renders the next route in place; these
    /// pages are separate documents, so the "router" here keeps this one until the app's start-up work has settled
    /// (as the ERP's document stays) and then loads the new route's page.
    /// </summary>
    private static readonly string CallbackPage = $$"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>Connecting - stand-in ERP</title>
          {{Style}}
          <script src="/env.js"></script>
          <script type="module">
            import { createRingCentralOAuth } from "/ringcentralOAuth.js";

            {{CreateClient}}
            const resumed = ringCentral.resumeAfterRedirect();
            resumed.then(
              (outcome) => { document.body.dataset.resumed = String(outcome); },
              (error) => { document.body.dataset.resumed = "error:" + error.kind; });

            window.addEventListener("popstate", async () => {
              if (location.pathname === "/integrations/callback") return;
              await resumed.catch(() => {});
              location.reload();
            });
          </script>
        </head>
        <body>
          <section class="outcome" id="outcome">
            <h1 id="title">Connecting...</h1>
            <p id="message"></p>
          </section>
          <script defer src="/callback.js"></script>
        </body>
        </html>
        """;

    private static readonly string CallbackScript = File.ReadAllText(Path.Combine(FrontEndModule.SourceDirectory, "..", "..",
        "RingCentralOAuthFunctions.LocalHost", "Demo", "Pages", "callback.js"));
}
