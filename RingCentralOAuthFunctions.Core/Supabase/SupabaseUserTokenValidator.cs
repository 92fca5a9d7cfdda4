using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>The signed-in ERP user, from a verified Supabase access token.</summary>
public sealed record AuthenticatedUser(Guid Id, string? Email);

public enum TokenCheck
{
    Valid,
    Invalid,
    /// <summary>The keys could not be fetched: answer 503, not 401.</summary>
    KeysUnavailable,
}

public interface IUserTokenValidator
{
    Task<(TokenCheck Result, AuthenticatedUser? User)> ValidateAsync(string? accessToken, CancellationToken cancellationToken);
}

/// <summary>
/// Verifies a Supabase Auth access token with Microsoft.IdentityModel: ES256/RS256 by the project's JWKS, or
/// HS256 with <c>Supabase:JwtSecret</c> (legacy projects) only when that secret is set. Checks <c>exp</c>,
/// <c>iss</c> = <c>{Supabase:Url}/auth/v1</c>, <c>aud</c> contains <c>authenticated</c>, <c>sub</c> is a UUID,
/// <c>role</c> is <c>authenticated</c> and <c>is_anonymous</c> is absent or false.
/// The algorithm allow-list is fixed by the key kind, so <c>alg: none</c> and algorithm confusion fail.
/// </summary>
public sealed class SupabaseUserTokenValidator(
    SupabaseJwks jwks,
    IOptions<SupabaseOptions> options,
    ISecretSource secrets,
    TimeProvider time,
    ILogger<SupabaseUserTokenValidator> logger) : IUserTokenValidator
{
    /// <summary>Real Supabase access tokens are about 1 KB; anything far larger is refused before parsing.</summary>
    public const int MaxTokenLength = 8 * 1024;

    private static readonly string[] AsymmetricAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256];
    private static readonly string[] SymmetricAlgorithms = [SecurityAlgorithms.HmacSha256];
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async Task<(TokenCheck Result, AuthenticatedUser? User)> ValidateAsync(string? accessToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(accessToken) || accessToken.Length > MaxTokenLength || !_handler.CanReadToken(accessToken))
            return Reject("malformed");

        JsonWebToken unverified;
        try
        {
            unverified = _handler.ReadJsonWebToken(accessToken);
        }
        catch (ArgumentException)
        {
            return Reject("malformed");
        }

        IReadOnlyList<SecurityKey> keys;
        string[] algorithms;
        if (unverified.Alg == SecurityAlgorithms.HmacSha256)
        {
            var secret = await secrets.GetAsync(AppSecret.SupabaseJwtSecret, cancellationToken);
            if (secret.IsMissing) return Reject("HS256 token but no Supabase:JwtSecret is set");
            keys = [new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret.Value!))];
            algorithms = SymmetricAlgorithms;
        }
        else if (AsymmetricAlgorithms.Contains(unverified.Alg))
        {
            try
            {
                keys = await jwks.GetKeysAsync(string.IsNullOrEmpty(unverified.Kid) ? null : unverified.Kid, cancellationToken);
            }
            catch (JwksUnavailableException)
            {
                return (TokenCheck.KeysUnavailable, null);
            }

            if (keys.Count == 0) return Reject("unknown signing key");
            algorithms = AsymmetricAlgorithms;
        }
        else
        {
            return Reject("algorithm not allowed");
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = options.Value.Url!.TrimEnd('/') + "/auth/v1",
            ValidAudience = "authenticated",
            IssuerSigningKeys = keys,
            ValidAlgorithms = algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            TryAllIssuerSigningKeys = true,
            LifetimeValidator = (notBefore, expires, _, p) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } exp && exp.Add(p.ClockSkew) > now && (notBefore is not { } nbf || nbf.Subtract(p.ClockSkew) <= now);
            },
        };

        var result = await _handler.ValidateTokenAsync(accessToken, parameters);
        if (!result.IsValid) return Reject(result.Exception?.GetType().Name ?? "invalid");

        if (!result.Claims.TryGetValue("sub", out var sub) || sub is not string subject || !Guid.TryParse(subject, out var userId) || userId == Guid.Empty)
            return Reject("sub is not a UUID");
        // aud "authenticated" alone is not enough: anon and service_role keys, and anonymous sign-ins, are not ERP users.
        if (!result.Claims.TryGetValue("role", out var role) || role is not string r || r != "authenticated")
            return Reject("role is not authenticated");
        if (result.Claims.TryGetValue("is_anonymous", out var anonymous) && anonymous is not (false or "false"))
            return Reject("anonymous sign-in");

        var email = result.Claims.TryGetValue("email", out var e) && e is string s && !string.IsNullOrWhiteSpace(s) && s.Length <= 254 ? s : null;
        return (TokenCheck.Valid, new AuthenticatedUser(userId, email));
    }

    private (TokenCheck, AuthenticatedUser?) Reject(string reason)
    {
        Log.AccessTokenRejected(logger, reason);
        return (TokenCheck.Invalid, null);
    }
}
