namespace RingCentralOAuthFunctions.Configuration;

/// <summary>RingCentral app registration (section <c>RingCentral</c>). The client secret is a secret: see <see cref="Secrets.AppSecret"/>.</summary>
public sealed class RingCentralOptions
{
    public const string Section = "RingCentral";
    public string ServerUrl { get; set; } = "https://platform.ringcentral.com";
    public string? ClientId { get; set; }
    /// <summary>
    /// How old <c>integration_connections.last_sync_at</c> may be before Status reports the connection as an error
    /// (a TimeSpan, e.g. <c>12:00:00</c>; empty = <see cref="SyncStaleness.Default"/>). Kept as text so a malformed
    /// value is a named setting problem, not a binding exception: read it with <see cref="SyncStaleness.Parse"/>.
    /// </summary>
    public string? SyncStaleAfter { get; set; }
}

/// <summary>The ERP's Supabase project (section <c>Supabase</c>). The service-role key and JWT secret are secrets.</summary>
public sealed class SupabaseOptions
{
    public const string Section = "Supabase";
    public string? Url { get; set; }
}

/// <summary>Where the flow sends the browser (section <c>OAuth</c>). The state key is a secret.</summary>
public sealed class OAuthOptions
{
    public const string Section = "OAuth";
    /// <summary>Public URL of the Callback function, exactly as registered in the RingCentral developer portal.</summary>
    public string? CallbackUrl { get; set; }
    /// <summary>The ERP page the popup ends on.</summary>
    public const string DefaultAppRedirectUrl = "https://erp.rebar.shop/integrations/callback";
    public string AppRedirectUrl { get; set; } = DefaultAppRedirectUrl;
}

/// <summary>Browser origins allowed to call the authenticated routes (section <c>Cors</c>).</summary>
public sealed class CorsOptions
{
    public const string Section = "Cors";
    /// <summary>Comma-separated origins.</summary>
    public string AllowedOrigins { get; set; } = "https://erp.rebar.shop";

    public string[] Origins() =>
        AllowedOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Where the secrets live when not in configuration (section <c>KeyVault</c>).</summary>
public sealed class KeyVaultOptions
{
    public const string Section = "KeyVault";
    public string? Uri { get; set; }
    public string? ManagedIdentityClientId { get; set; }
}

/// <summary>
/// A problem found before the services exist (e.g. an unreadable <c>local.settings.json</c>). Registered by the host
/// as a singleton; Health's <c>SettingsCheck</c> reports every one with the others.
/// </summary>
public sealed record StartupProblem(string Name, string Problem);
