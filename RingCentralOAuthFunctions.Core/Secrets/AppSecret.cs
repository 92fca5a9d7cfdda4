namespace RingCentralOAuthFunctions.Secrets;

/// <summary>A secret the app needs: where it lives in configuration and in Key Vault.</summary>
public sealed record AppSecret(string ConfigurationKey, string KeyVaultName, bool Required)
{
    public static readonly AppSecret RingCentralClientSecret = new("RingCentral:ClientSecret", "ringcentral-client-secret", true);
    public static readonly AppSecret SupabaseServiceRoleKey = new("Supabase:ServiceRoleKey", "supabase-service-role-key", true);
    public static readonly AppSecret SupabaseJwtSecret = new("Supabase:JwtSecret", "supabase-jwt-secret", false);
    public static readonly AppSecret StateKey = new("OAuth:StateKey", "oauth-state-key", true);

    /// <summary>The ERP's shared RingCentral JWT credential (optional, all three or none): Status tries it for a user without a token row.</summary>
    public static readonly AppSecret SharedJwt = new("RingCentral:SharedJwt", "ringcentral-shared-jwt", false);
    public static readonly AppSecret SharedJwtClientId = new("RingCentral:SharedJwtClientId", "ringcentral-shared-jwt-client-id", false);
    public static readonly AppSecret SharedJwtClientSecret = new("RingCentral:SharedJwtClientSecret", "ringcentral-shared-jwt-client-secret", false);
    public static readonly IReadOnlyList<AppSecret> SharedJwtCredential = [SharedJwt, SharedJwtClientId, SharedJwtClientSecret];

    public static readonly IReadOnlyList<AppSecret> All = [RingCentralClientSecret, SupabaseServiceRoleKey, SupabaseJwtSecret, StateKey, .. SharedJwtCredential];

    /// <summary>The name shown in logs and Health: the configuration key (never the value).</summary>
    public string DisplayName => ConfigurationKey;

    public override string ToString() => DisplayName;
}

/// <summary>A secret's value, or its absence. <see cref="ToString"/> never prints the value.</summary>
public readonly record struct SecretValue(string? Value)
{
    public static readonly SecretValue Missing = new(null);
    public bool IsMissing => string.IsNullOrWhiteSpace(Value);
    public string Require(AppSecret secret) =>
        IsMissing ? throw new SecretUnavailableException(secret, "missing") : Value!;
    public override string ToString() => IsMissing ? "(missing)" : "(set)";
}

/// <summary>A required secret could not be read. The message names the secret, never its value.</summary>
public sealed class SecretUnavailableException(AppSecret secret, string reason, Exception? inner = null)
    : Exception($"Secret {secret.DisplayName} is {reason}.", inner)
{
    public AppSecret Secret { get; } = secret;
    /// <summary>Why, in words fit for Health and logs (e.g. "unreadable", "missing"); never a value.</summary>
    public string Reason { get; } = reason;
}

public interface ISecretSource
{
    /// <summary>The current value (cached by the source). Throws <see cref="SecretUnavailableException"/> when the store cannot be read.</summary>
    ValueTask<SecretValue> GetAsync(AppSecret secret, CancellationToken cancellationToken);
}
