namespace RingCentralOAuthFunctions.RingCentral;

/// <summary>RingCentral's OAuth and REST paths, relative to <c>RingCentral:ServerUrl</c>.</summary>
public static class RingCentralEndpoints
{
    public const string Authorize = "/restapi/oauth/authorize";
    public const string Token = "/restapi/oauth/token";
    public const string Revoke = "/restapi/oauth/revoke";
    public const string CurrentExtension = "/restapi/v1.0/account/~/extension/~";

    /// <summary>Named HTTP clients: the token client never retries (a code is single-use), the API client may.</summary>
    public const string TokenClient = "RingCentral.Token";
    public const string ApiClient = "RingCentral.Api";

    public static Uri Resolve(string serverUrl, string path) => new(serverUrl.TrimEnd('/') + path);
}
