namespace RingCentralOAuthFunctions.Supabase;

/// <summary>The values of an <c>integration_connections</c> row for <c>integration_id = 'ringcentral'</c> (Status reads the row as <see cref="ConnectionSnapshot"/>).</summary>
public static class ConnectionRow
{
    public const string IntegrationId = "ringcentral";
    public const string Connected = "connected";
    public const string Error = "error";
}
