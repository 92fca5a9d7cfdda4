using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace RingCentralOAuthFunctions.Fakes;

/// <summary>
/// RingCentral's OAuth 2.0 endpoints and the current-extension API, as documented: the authorize page redirects
/// with a single-use code; the token endpoint checks HTTP Basic client auth, the code, the redirect URI (OAU-109 on
/// mismatch) and the PKCE S256 verifier, and answers RingCentral's token JSON; revoke records what it revoked.
/// </summary>
public sealed partial class FakeRingCentral : FakeServer
{
    public const string ClientId = "fake-client-id";
    public const string ClientSecret = "fake-client-secret-value";

    /// <summary>The shared JWT credential RingCentral accepts in the JWT-bearer grant, with its own client (not <see cref="ClientId"/>).</summary>
    public const string SharedJwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmYWtlLXNoYXJlZC1leHRlbnNpb24ifQ.fake-shared-jwt-signature";
    public const string JwtClientId = "fake-jwt-client-id";
    public const string JwtClientSecret = "fake-jwt-client-secret-value";
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    /// <summary>The <c>contact.email</c> of the extension <see cref="SharedJwt"/> belongs to.</summary>
    public string SharedJwtEmail { get; set; } = "shared.line@rebar.test";

    /// <summary>Route names for <see cref="FakeServer.Inject"/>.</summary>
    public const string AuthorizeRoute = "authorize", TokenRoute = "token", ExtensionRoute = "extension", RevokeRoute = "revoke";

    private readonly ConcurrentDictionary<string, PendingCode> _codes = new();
    private readonly ConcurrentDictionary<string, IssuedTokens> _byAccessToken = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<IssuedTokens>> _redeemed = new();
    private readonly ConcurrentDictionary<string, byte> _dead = new();

    /// <summary>Every token pair issued, in order.</summary>
    public ConcurrentQueue<IssuedTokens> Issued { get; } = new();

    /// <summary>Every token revoked.</summary>
    public ConcurrentQueue<string> Revoked { get; } = new();

    /// <summary>Codes presented to the token endpoint after they were already redeemed (RFC 6749 section 4.1.2 replays).</summary>
    public ConcurrentQueue<string> ReplayedCodes { get; } = new();

    /// <summary>Whether a refresh or access token is still good: issued here and neither revoked nor killed by a replayed code.</summary>
    public bool IsAlive(string token) => !_dead.ContainsKey(token) && Issued.Any(t => t.RefreshToken == token || t.AccessToken == token);

    /// <summary>Refresh tokens issued and still alive (neither revoked nor killed by a replayed code): the credentials still valid at RingCentral.</summary>
    public IReadOnlyList<string> ValidRefreshTokens() =>
        Issued.Select(i => i.RefreshToken).Where(token => !_dead.ContainsKey(token)).ToList();

    /// <summary>When set, the authorize page answers with this OAuth error (e.g. <c>access_denied</c>) instead of a code.</summary>
    public string? AuthorizeError { get; set; }

    /// <summary>Include <c>refresh_token</c> in token responses (RingCentral always does for this grant).</summary>
    public bool IssueRefreshTokens { get; set; } = true;

    public static async Task<FakeRingCentral> StartNewAsync()
    {
        var server = new FakeRingCentral();
        await server.StartAsync();
        return server;
    }

    /// <summary>A code as if the user had signed in, bound to this redirect URI and PKCE challenge.</summary>
    public string IssueCode(string redirectUri, string codeChallenge, string? loginHint = null)
    {
        var code = "code-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        _codes[code] = new PendingCode(redirectUri, codeChallenge, loginHint);
        return code;
    }

    protected override void Map(WebApplication app)
    {
        MapConsent(app);
        app.MapGet("/restapi/oauth/authorize", async context =>
        {
            if (await TryFaultAsync(context, AuthorizeRoute)) return;
            var q = context.Request.Query;
            string redirectUri = q["redirect_uri"]!, state = q["state"]!;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(redirectUri))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsync("Invalid authorization request");
                return;
            }

            if (InteractiveConsent)
            {
                await WriteConsentPageAsync(context);
                return;
            }

            var target = AuthorizeError is { } error
                ? QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?>
                    { ["error"] = error, ["error_description"] = "The user denied access", ["state"] = state })
                : QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?>
                    { ["code"] = IssueCode(redirectUri, q["code_challenge"]!, q["login_hint"]), ["state"] = state });
            context.Response.Redirect(target);
        });

        app.MapPost("/restapi/oauth/token", async context =>
        {
            if (await TryFaultAsync(context, TokenRoute)) return;
            if (context.Request.HasFormContentType && (await context.Request.ReadFormAsync())["grant_type"] == JwtBearerGrant)
            {
                await JwtBearerAsync(context);
                return;
            }

            if (!ClientAuthenticated(context.Request))
            {
                await OAuthError(context, 401, "invalid_client", "OAU-123", "Invalid client credentials");
                return;
            }

            var form = await context.Request.ReadFormAsync();
            if (form["grant_type"] == "refresh_token")
            {
                await RefreshAsync(context, form["refresh_token"].ToString());
                return;
            }

            if (form["grant_type"] != "authorization_code")
            {
                await OAuthError(context, 400, "unsupported_grant_type", "OAU-250", "Unsupported grant type");
                return;
            }

            var code = form["code"].ToString();
            if (_redeemed.TryGetValue(code, out var fromCode))
            {
                // RFC 6749 section 4.1.2: a code used twice is refused, and every token issued for it is revoked.
                ReplayedCodes.Enqueue(code);
                foreach (var tokens in fromCode) Kill(tokens);
                await OAuthError(context, 400, "invalid_grant", "OAU-106", "Authorization code is invalid or expired");
                return;
            }

            if (!_codes.TryRemove(code, out var pending))
            {
                await OAuthError(context, 400, "invalid_grant", "OAU-106", "Authorization code is invalid or expired");
                return;
            }

            if (form["redirect_uri"] != pending.RedirectUri)
            {
                await OAuthError(context, 400, "invalid_grant", "OAU-109", "Redirect URI mismatch");
                return;
            }

            var verifier = form["code_verifier"].ToString();
            var challenge = Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
            if (string.IsNullOrEmpty(verifier) || challenge != pending.CodeChallenge)
            {
                await OAuthError(context, 400, "invalid_grant", "OAU-108", "Code verifier does not match the code challenge");
                return;
            }

            var issued = Issue(pending.LoginHint ?? $"user-{Issued.Count}@example.test");
            _redeemed.GetOrAdd(code, _ => new ConcurrentQueue<IssuedTokens>()).Enqueue(issued);
            await WriteTokensAsync(context, issued);
        });

        app.MapGet("/restapi/v1.0/account/~/extension/~", async context =>
        {
            if (await TryFaultAsync(context, ExtensionRoute)) return;
            var auth = context.Request.Headers.Authorization.ToString();
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_byAccessToken.TryGetValue(auth[7..], out var issued) || _dead.ContainsKey(issued.AccessToken))
            {
                await OAuthError(context, 401, "invalid_token", "OAU-213", "Token not found");
                return;
            }

            await context.Response.WriteAsJsonAsync(new
            {
                id = 101,
                extensionNumber = "101",
                name = "Test User",
                contact = new { email = issued.Email, firstName = "Test", lastName = "User" },
            });
        });

        app.MapPost("/restapi/oauth/revoke", async context =>
        {
            if (await TryFaultAsync(context, RevokeRoute)) return;
            if (!ClientAuthenticated(context.Request))
            {
                await OAuthError(context, 401, "invalid_client", "OAU-123", "Invalid client credentials");
                return;
            }

            var form = await context.Request.ReadFormAsync();
            var token = form["token"].ToString();
            Revoked.Enqueue(token);
            foreach (var tokens in Issued.Where(t => t.RefreshToken == token || t.AccessToken == token)) Kill(tokens);
            context.Response.StatusCode = 200;
        });
    }

    /// <summary>The refresh grant, as the other ERP functions use the stored refresh token: single use, rotated.</summary>
    private async Task RefreshAsync(HttpContext context, string refreshToken)
    {
        var current = Issued.FirstOrDefault(t => t.RefreshToken == refreshToken);
        if (current is null || _dead.ContainsKey(refreshToken))
        {
            await OAuthError(context, 400, "invalid_grant", "OAU-211", "Token is revoked");
            return;
        }

        Kill(current);
        await WriteTokensAsync(context, Issue(current.Email));
    }

    /// <summary>
    /// The JWT-bearer grant as RingCentral documents it: HTTP Basic with the JWT app's client (the OAuth app's client is
    /// refused, as an app without the JWT flow), <c>assertion</c> = the JWT; tokens for the JWT's extension.
    /// </summary>
    private async Task JwtBearerAsync(HttpContext context)
    {
        if (!ClientAuthenticated(context.Request, JwtClientId, JwtClientSecret))
        {
            await OAuthError(context, 401, "invalid_client", "OAU-123", "Invalid client credentials");
            return;
        }

        var form = await context.Request.ReadFormAsync();
        if (form["assertion"] != SharedJwt)
        {
            await OAuthError(context, 400, "invalid_grant", "OAU-140", "Invalid JWT token");
            return;
        }

        await WriteTokensAsync(context, Issue(SharedJwtEmail));
    }

    private IssuedTokens Issue(string email)
    {
        var issued = new IssuedTokens(
            "rc-at-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            "rc-rt-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            email);
        Issued.Enqueue(issued);
        _byAccessToken[issued.AccessToken] = issued;
        return issued;
    }

    private void Kill(IssuedTokens tokens)
    {
        _dead[tokens.AccessToken] = 0;
        _dead[tokens.RefreshToken] = 0;
    }

    private Task WriteTokensAsync(HttpContext context, IssuedTokens issued) =>
            context.Response.WriteAsJsonAsync(new Dictionary<string, object?>
            {
                ["access_token"] = issued.AccessToken,
                ["token_type"] = "bearer",
                ["expires_in"] = 3600,
                ["refresh_token"] = IssueRefreshTokens ? issued.RefreshToken : null,
                ["refresh_token_expires_in"] = 604800,
                ["scope"] = "ReadAccounts CallControl",
                ["owner_id"] = "123456",
                ["endpoint_id"] = "endpoint-1",
            }.Where(kv => kv.Value is not null).ToDictionary());

    private static bool ClientAuthenticated(HttpRequest request) => ClientAuthenticated(request, ClientId, ClientSecret);

    private static bool ClientAuthenticated(HttpRequest request, string clientId, string clientSecret)
    {
        var auth = request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Basic ", StringComparison.Ordinal)) return false;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(auth[6..])) == $"{clientId}:{clientSecret}";
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>RingCentral's error body: OAuth <c>error</c>, <c>error_description</c> and <c>errors[].errorCode</c>.</summary>
    public static string OAuthErrorBody(string error, string errorCode, string description) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            error,
            errors = new[] { new { errorCode, message = description } },
            error_description = description,
        });

    private static async Task OAuthError(HttpContext context, int status, string error, string errorCode, string description)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(OAuthErrorBody(error, errorCode, description));
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record PendingCode(string RedirectUri, string CodeChallenge, string? LoginHint);
}

/// <summary>A token pair the fake issued, and the email its extension reports (the login hint when one was given).</summary>
public sealed record IssuedTokens(string AccessToken, string RefreshToken, string Email);
