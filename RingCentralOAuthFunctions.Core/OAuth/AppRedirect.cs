using Microsoft.AspNetCore.WebUtilities;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>Builds the Location of the ERP's <c>/integrations/callback</c> page, always from <c>OAuth:AppRedirectUrl</c>.</summary>
public static class AppRedirect
{
    public const string Integration = "ringcentral";

    public static string Success(string appRedirectUrl, string? email)
    {
        var query = new Dictionary<string, string?> { ["status"] = "success", ["integration"] = Integration };
        if (!string.IsNullOrWhiteSpace(email)) query["email"] = email;
        return QueryHelpers.AddQueryString(appRedirectUrl, query);
    }

    public static string Error(string appRedirectUrl, string message) =>
        QueryHelpers.AddQueryString(appRedirectUrl, new Dictionary<string, string?>
        {
            ["status"] = "error",
            ["integration"] = Integration,
            ["message"] = message,
        });
}
