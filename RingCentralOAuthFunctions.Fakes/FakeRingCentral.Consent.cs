using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace RingCentralOAuthFunctions.Fakes;

/// <summary>
/// The opt-in interactive part of the authorize step, for the demo: with <see cref="InteractiveConsent"/> on, GET
/// <c>/restapi/oauth/authorize</c> answers a sign-in and consent page (labelled DEMO) instead of redirecting at once.
/// The person picks one of <see cref="ConsentAccounts"/> and presses Allow (a single-use code for that account, as
/// <see cref="IssueCode"/>) or Deny (RingCentral's <c>error=access_denied</c> redirect). The page posts back to the
/// same path with the authorize request's parameters, which are checked again there.
/// </summary>
public sealed partial class FakeRingCentral
{
    /// <summary>The authorize request's parameters carried through the consent form.</summary>
    private static readonly string[] AuthorizeParameters =
        ["client_id", "response_type", "redirect_uri", "state", "code_challenge", "code_challenge_method", "login_hint"];

    /// <summary>Show a sign-in and consent page at the authorize step instead of issuing a code at once (off by default).</summary>
    public bool InteractiveConsent { get; set; }

    /// <summary>The RingCentral accounts (emails) a person can sign in as on the consent page; the chosen one is what the extension endpoint reports.</summary>
    public IReadOnlyList<string> ConsentAccounts { get; set; } = ["alice@ringcentral.demo", "bob@ringcentral.demo"];

    private void MapConsent(WebApplication app)
    {
        app.MapPost("/restapi/oauth/authorize", async context =>
        {
            if (!InteractiveConsent || !context.Request.HasFormContentType)
            {
                context.Response.StatusCode = 404;
                return;
            }

            var form = await context.Request.ReadFormAsync();
            string redirectUri = form["redirect_uri"]!, state = form["state"]!;
            if (!ValidAuthorizeRequest(form["client_id"], form["response_type"], form["code_challenge_method"], redirectUri))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync("Invalid authorization request");
                return;
            }

            var account = form["account"].ToString();
            string target;
            if (form["decision"] == "allow" && ConsentAccounts.Contains(account))
                target = QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?>
                    { ["code"] = IssueCode(redirectUri, form["code_challenge"]!, account), ["state"] = state });
            else if (form["decision"] == "deny")
                target = QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?>
                    { ["error"] = "access_denied", ["error_description"] = "The user denied access", ["state"] = state });
            else
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync("Choose an account, then Allow or Deny");
                return;
            }

            context.Response.Redirect(target);
        });
    }

    private static bool ValidAuthorizeRequest(StringValues clientId, StringValues responseType, StringValues challengeMethod, string? redirectUri) =>
        clientId == ClientId && responseType == "code" && challengeMethod == "S256" && !string.IsNullOrEmpty(redirectUri);

    private async Task WriteConsentPageAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var hidden = string.Concat(AuthorizeParameters
            .Where(name => query.ContainsKey(name))
            .Select(name => $"""<input type="hidden" name="{name}" value="{Html(query[name].ToString())}">"""));
        var hint = query["login_hint"].ToString();
        var preselected = ConsentAccounts.Contains(hint) ? hint : ConsentAccounts.FirstOrDefault();
        var accounts = string.Concat(ConsentAccounts.Select(email => $"""
            <label class="account"><input type="radio" name="account" value="{Html(email)}"{(email == preselected ? " checked" : "")}> {Html(email)}</label>
            """));

        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.WriteAsync($$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>DEMO - RingCentral sign-in (stand-in)</title>
              <style>
                body { font-family: "DejaVu Sans", sans-serif; margin: 0; background: #f4f5f7; color: #1f2933; }
                .demo { background: #b45309; color: #fff; padding: 6px 16px; font-weight: bold; letter-spacing: .05em; }
                main { max-width: 420px; margin: 40px auto; background: #fff; border: 1px solid #d9dde3; border-radius: 8px; padding: 24px; }
                h1 { font-size: 20px; margin: 0 0 12px; color: #f26b21; }
                .account { display: block; margin: 6px 0; }
                button { font-size: 15px; padding: 8px 18px; margin: 16px 8px 0 0; border-radius: 6px; border: 1px solid #9aa5b1; background: #fff; }
                button.allow { background: #f26b21; border-color: #f26b21; color: #fff; }
                small { color: #616e7c; }
              </style>
            </head>
            <body>
              <div class="demo">DEMO: stand-in for RingCentral, nothing here reaches RingCentral</div>
              <main>
                <h1>Sign in to RingCentral</h1>
                <form method="post" action="/restapi/oauth/authorize">
                  {{hidden}}
                  <p>Sign in as:</p>
                  {{accounts}}
                  <p>The app <b>{{Html(query["client_id"].ToString())}}</b> asks to read your account and control your calls.</p>
                  <button type="submit" name="decision" value="allow" class="allow" id="allow">Allow</button>
                  <button type="submit" name="decision" value="deny" id="deny">Deny</button>
                </form>
                <p><small>Allow sends this window back to the app with a one-time code; Deny with <code>error=access_denied</code>.</small></p>
              </main>
            </body>
            </html>
            """);
    }

    private static string Html(string value) => WebUtility.HtmlEncode(value);
}
