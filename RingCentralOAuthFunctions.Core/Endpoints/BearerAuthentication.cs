using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>The gate of every API route: a sane request size, settings ready, then a verified Supabase access token in <c>Authorization: Bearer</c>.</summary>
public sealed class BearerAuthentication(SettingsCheck settings, IUserTokenValidator validator)
{
    public async Task<(AuthenticatedUser? User, IResult? Refusal)> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (await RequestLimits.BodyTooLargeAsync(request, cancellationToken)) return (null, RequestLimits.TooLarge(request));
        if (!await settings.IsReadyAsync(cancellationToken))
            return (null, ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.NotConfigured));

        var token = BearerToken(request.Headers.Authorization);
        if (token is null) return (null, Unauthorized(request));

        var (result, user) = await validator.ValidateAsync(token, cancellationToken);
        return result switch
        {
            TokenCheck.Valid => (user, null),
            TokenCheck.KeysUnavailable => (null, ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.AuthUnavailable)),
            _ => (null, Unauthorized(request)),
        };
    }

    private static IResult Unauthorized(HttpRequest request)
    {
        request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiResponses.Error(request, StatusCodes.Status401Unauthorized, ApiResponses.Unauthorized);
    }

    /// <summary>Exactly one <c>Authorization</c> header of the form <c>Bearer &lt;token&gt;</c>; anything else is no token.</summary>
    internal static string? BearerToken(StringValues header)
    {
        if (header.Count != 1 || header[0] is not { } value) return null;
        const string scheme = "Bearer ";
        if (value.Length <= scheme.Length || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return null;
        var token = value[scheme.Length..].Trim();
        return token.Length == 0 || token.Length > SupabaseUserTokenValidator.MaxTokenLength ? null : token;
    }
}
