using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.RingCentral;

/// <summary>RingCentral's OAuth endpoints through Duende.IdentityModel's request helpers, client auth by HTTP Basic.</summary>
public sealed class RingCentralClient(
    IHttpClientFactory httpClients,
    IOptions<RingCentralOptions> options,
    IOptions<OAuthOptions> oauth,
    ISecretSource secrets,
    TimeProvider time) : IRingCentralClient, IRingCentralSharedJwtClient
{
    public async Task<(RingCentralTokens? Tokens, RingCentralFailure? Failure)> ExchangeCodeAsync(
        string code, string codeVerifier, CancellationToken cancellationToken)
    {
        var request = new AuthorizationCodeTokenRequest
        {
            Address = Endpoint(RingCentralEndpoints.Token),
            Code = code,
            CodeVerifier = codeVerifier,
            RedirectUri = oauth.Value.CallbackUrl!,
        };
        if (await AddClientAuthAsync(request, cancellationToken) is { } notConfigured) return (null, notConfigured);

        TokenResponse response;
        try
        {
            response = await httpClients.CreateClient(RingCentralEndpoints.TokenClient).RequestAuthorizationCodeTokenAsync(request, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return (null, TimedOut);
        }

        using var _ = response;
        if (response.IsError) return (null, Classify(response));
        if (string.IsNullOrEmpty(response.RefreshToken) || string.IsNullOrEmpty(response.AccessToken))
        {
            // Unusable without a refresh token: do not leave the access token valid either.
            if (!string.IsNullOrEmpty(response.AccessToken)) await RevokeAsync(response.AccessToken, cancellationToken);
            return (null, new RingCentralFailure(RingCentralFailure.BadResponse, null, (int)response.HttpStatusCode));
        }

        // RingCentral says about 3600 s. Other ERP functions trust token_expires_at, so an absurd value is bounded.
        var lifetime = response.ExpiresIn is > 0 and <= MaxAccessTokenSeconds ? response.ExpiresIn : 3600;
        return (new RingCentralTokens(response.AccessToken, response.RefreshToken, time.GetUtcNow().AddSeconds(lifetime)), null);
    }

    public async Task<(string? Label, int? HttpStatus)> GetAccountLabelAsync(string accessToken, CancellationToken cancellationToken)
    {
        var (root, status) = await GetCurrentExtensionAsync(accessToken, cancellationToken);
        if (root is not { } extension) return (null, status);
        if (ContactEmail(extension) is { } email) return (email, status);
        if (extension.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
            return (SanitizeLabel(name.GetString()!), status);
        return ("", status);
    }

    /// <summary>
    /// The JWT-bearer grant (<c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c>, <c>assertion</c>) with the
    /// shared credential's own client, by HTTP Basic. Never retried; failures, timeouts included, come back as
    /// <see cref="RingCentralFailure"/>. Only the access token is kept: the stored row refreshes with the JWT itself.
    /// </summary>
    public async Task<(RingCentralAccessToken? Token, RingCentralFailure? Failure)> RequestJwtBearerTokenAsync(
        SharedJwtCredential credential, CancellationToken cancellationToken)
    {
        var request = new TokenRequest
        {
            Address = Endpoint(RingCentralEndpoints.Token),
            GrantType = OidcConstants.GrantTypes.JwtBearer,
            ClientId = credential.ClientId,
            ClientSecret = credential.ClientSecret,
            ClientCredentialStyle = ClientCredentialStyle.AuthorizationHeader,
            AuthorizationHeaderStyle = BasicAuthenticationHeaderStyle.Rfc2617,
            Parameters = { { "assertion", credential.Jwt } },
        };

        TokenResponse response;
        try
        {
            response = await httpClients.CreateClient(RingCentralEndpoints.TokenClient).RequestTokenAsync(request, cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, TimedOut);
        }

        using var _ = response;
        if (response.IsError) return (null, Classify(response));
        if (string.IsNullOrEmpty(response.AccessToken))
            return (null, new RingCentralFailure(RingCentralFailure.BadResponse, null, (int)response.HttpStatusCode));
        var lifetime = response.ExpiresIn is > 0 and <= MaxAccessTokenSeconds ? response.ExpiresIn : 3600;
        return (new RingCentralAccessToken(response.AccessToken, time.GetUtcNow().AddSeconds(lifetime)), null);
    }

    /// <summary>The extension's <c>contact.email</c> only (never its name); null with the status when it has none or the lookup failed.</summary>
    public async Task<(string? Email, int? HttpStatus)> GetContactEmailAsync(string accessToken, CancellationToken cancellationToken)
    {
        var (root, status) = await GetCurrentExtensionAsync(accessToken, cancellationToken);
        return (root is { } extension ? ContactEmail(extension) : null, status);
    }

    /// <summary><c>GET /restapi/v1.0/account/~/extension/~</c>: the JSON object, or null with the HTTP status (null: no answer).</summary>
    private async Task<(JsonElement? Root, int? HttpStatus)> GetCurrentExtensionAsync(string accessToken, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Endpoint(RingCentralEndpoints.CurrentExtension));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await httpClients.CreateClient(RingCentralEndpoints.ApiClient).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode) return (null, (int)response.StatusCode);

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            return json.RootElement.ValueKind == JsonValueKind.Object ? (json.RootElement.Clone(), (int)response.StatusCode) : (null, (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException or Polly.ExecutionRejectedException)
        {
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            return (null, null);
        }
    }

    private static string? ContactEmail(JsonElement extension) =>
        extension.TryGetProperty("contact", out var contact) && contact.ValueKind == JsonValueKind.Object
        && contact.TryGetProperty("email", out var email) && email.ValueKind == JsonValueKind.String
        && !string.IsNullOrWhiteSpace(email.GetString())
            ? SanitizeLabel(email.GetString()!)
            : null;

    public async Task<RingCentralFailure?> RevokeAsync(string token, CancellationToken cancellationToken)
    {
        var request = new TokenRevocationRequest { Address = Endpoint(RingCentralEndpoints.Revoke), Token = token };
        try
        {
            if (await AddClientAuthAsync(request, cancellationToken) is { } notConfigured) return notConfigured;
            using var response = await httpClients.CreateClient(RingCentralEndpoints.TokenClient).RevokeTokenAsync(request, cancellationToken);
            return response.IsError ? Classify(response) : null;
        }
        catch (OperationCanceledException)
        {
            return TimedOut;
        }
    }

    /// <summary>No answer within the client's timeout or the caller's budget.</summary>
    private static readonly RingCentralFailure TimedOut = new(RingCentralFailure.Unavailable, null, null);

    /// <summary>The client's id and secret, by HTTP Basic; a secret that cannot be read (Key Vault or settings) is a <see cref="RingCentralFailure.NotConfigured"/> failure: nothing may be sent.</summary>
    private async Task<RingCentralFailure?> AddClientAuthAsync(ProtocolRequest request, CancellationToken cancellationToken)
    {
        request.ClientId = options.Value.ClientId!;
        var (secret, failure) = await ReadClientSecretAsync(cancellationToken);
        if (secret is null) return failure;
        request.ClientSecret = secret;
        request.ClientCredentialStyle = ClientCredentialStyle.AuthorizationHeader;
        // base64(id:secret) without form-encoding first, as RingCentral documents and the edge function did.
        request.AuthorizationHeaderStyle = BasicAuthenticationHeaderStyle.Rfc2617;
        return null;
    }

    private static readonly RingCentralFailure SecretUnavailable = new(RingCentralFailure.NotConfigured, null, null);

    public async ValueTask<RingCentralFailure?> CheckClientSecretAsync(CancellationToken cancellationToken) =>
        (await ReadClientSecretAsync(cancellationToken)).Failure;

    private async ValueTask<(string? Secret, RingCentralFailure? Failure)> ReadClientSecretAsync(CancellationToken cancellationToken)
    {
        try
        {
            return ((await secrets.GetAsync(AppSecret.RingCentralClientSecret, cancellationToken)).Require(AppSecret.RingCentralClientSecret), null);
        }
        catch (SecretUnavailableException)
        {
            return (null, SecretUnavailable); // Health names the secret and why; nothing of the failure goes further
        }
    }

    private string Endpoint(string path) => RingCentralEndpoints.Resolve(options.Value.ServerUrl, path).ToString();

    private const int MaxAccessTokenSeconds = 24 * 3600;

    /// <summary>Display names from RingCentral lose control characters and are bounded before they reach the ERP page or the database.</summary>
    internal static string SanitizeLabel(string value)
    {
        var clean = new string(value.Where(c => !char.IsControl(c) && c is not ('\u2028' or '\u2029')).ToArray()).Trim();
        return clean.Length <= 254 ? clean : clean[..254].Trim();
    }

    private static RingCentralFailure Classify(ProtocolResponse response)
    {
        var status = response.HttpStatusCode == 0 ? (int?)null : (int)response.HttpStatusCode;
        var code = RingCentralErrorCode(response);
        return response.HttpStatusCode switch
        {
            HttpStatusCode.TooManyRequests => new(RingCentralFailure.RateLimited, code, status),
            HttpStatusCode.Unauthorized => new(RingCentralFailure.Unauthorized, code, status),
            >= HttpStatusCode.InternalServerError => new(RingCentralFailure.Unavailable, code, status),
            _ when response.ErrorType == ResponseErrorType.Exception && status is >= 200 and < 300 => new(RingCentralFailure.BadResponse, null, status),
            _ when response.ErrorType == ResponseErrorType.Exception => new(RingCentralFailure.Unavailable, null, status),
            _ when response.ErrorType == ResponseErrorType.Protocol => new(RingCentralFailure.Rejected, code, status),
            _ => new(RingCentralFailure.BadResponse, code, status),
        };
    }

    /// <summary>RingCentral's code (e.g. OAU-109) from <c>errors[0].errorCode</c>, else <c>errorCode</c>, else the OAuth <c>error</c>; only short [A-Za-z0-9_-] values, so nothing arbitrary reaches a log line.</summary>
    private static string? RingCentralErrorCode(ProtocolResponse response)
    {
        string? code = null;
        if (response.Json is { ValueKind: JsonValueKind.Object } json)
        {
            if (json.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
                && errors[0].ValueKind == JsonValueKind.Object && errors[0].TryGetProperty("errorCode", out var first)
                && first.ValueKind == JsonValueKind.String)
                code = first.GetString();
            else if (json.TryGetProperty("errorCode", out var single) && single.ValueKind == JsonValueKind.String)
                code = single.GetString();
        }

        code ??= response.ErrorType == ResponseErrorType.Protocol ? response.Error : null;
        return code is { Length: > 0 and <= 40 } && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? code : null;
    }
}
