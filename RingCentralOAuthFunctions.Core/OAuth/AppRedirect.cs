using Microsoft.AspNetCore.WebUtilities;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>Builds the Location of the ERP's <c>/integrations/callback</c> page, always from <c>OAuth:AppRedirectUrl</c>.</summary>
public static class AppRedirect
{
    public const string Integration = "ringcentral";

    private static string Success(string appRedirectUrl) =>
        QueryHelpers.AddQueryString(appRedirectUrl, new Dictionary<string, string?> { ["status"] = "success", ["integration"] = Integration });

    /// <summary>
    /// The Callback's success: <c>?status=success&amp;integration=ringcentral#ticket=…</c>. The ticket is only in the
    /// fragment, which browsers never send to a server nor put in a Referer; the opener reads it from the popup.
    /// </summary>
    public static string SuccessWithTicket(string appRedirectUrl, string ticket)
    {
        var hash = appRedirectUrl.IndexOf('#');
        return Success(hash < 0 ? appRedirectUrl : appRedirectUrl[..hash]) + "#ticket=" + ticket;
    }

    public static string Error(string appRedirectUrl, string message) =>
        QueryHelpers.AddQueryString(appRedirectUrl, new Dictionary<string, string?>
        {
            ["status"] = "error",
            ["integration"] = Integration,
            ["message"] = message,
        });
}
