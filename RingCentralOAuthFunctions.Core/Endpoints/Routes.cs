namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>Routes under the <c>api</c> prefix, the same in the Functions app and the local host.</summary>
public static class Routes
{
    public const string Prefix = "api";
    public const string AuthUrl = "ringcentral/auth-url";
    public const string Callback = "ringcentral/callback";
    public const string Complete = "ringcentral/complete";
    public const string Status = "ringcentral/status";
    public const string Disconnect = "ringcentral/disconnect";
    public const string Health = "health";
    /// <summary>Health's problem list: the function key on the Functions app, a caller on this machine on the local host.</summary>
    public const string HealthDetails = "health/details";
}
