namespace RingCentralOAuthFunctions.OAuth;

/// <summary>
/// The only texts the callback ever puts in the ERP page's <c>message</c>, and Complete in its <c>error</c>. Nothing from the request
/// (not <c>error_description</c>, not exception text) is ever echoed.
/// </summary>
public static class CallbackMessages
{
    public const string Cancelled = "RingCentral sign-in was cancelled.";
    public const string Denied = "RingCentral did not allow the connection. Please try again.";
    public const string InvalidState = "This sign-in link has expired or is not valid. Please start again from the Integrations page.";
    public const string MissingCode = "RingCentral did not return an authorization code. Please try again.";
    public const string Rejected = "RingCentral did not accept the sign-in. Please try again.";
    public const string ProviderUnavailable = "RingCentral is not responding right now. Please try again in a few minutes.";
    public const string SaveFailed = "The connection could not be saved. Please try again.";
    public const string NotConfigured = "The RingCentral connection is not available right now. Please contact your administrator.";
    public const string AlreadyUsed = "This sign-in has already been used. Please start again from the Integrations page.";

    public static readonly IReadOnlySet<string> All = new HashSet<string>
    {
        Cancelled, Denied, InvalidState, MissingCode, Rejected, ProviderUnavailable, SaveFailed, NotConfigured, AlreadyUsed,
    };

    /// <summary>The message for an <c>error</c> RingCentral put on the redirect (RFC 6749 section 4.1.2.1 codes).</summary>
    public static string ForProviderError(string error) => error switch
    {
        "access_denied" => Cancelled,
        "temporarily_unavailable" or "server_error" => ProviderUnavailable,
        _ => Denied,
    };
}
