using Duende.IdentityModel.Client;
using RingCentralOAuthFunctions.Protocol;

namespace RingCentralOAuthFunctions.RingCentral;

/// <summary>Builds RingCentral's authorize URL (authorization code + PKCE S256).</summary>
public static class AuthorizeUrl
{
    public static string Build(string serverUrl, string clientId, string redirectUri, string state, string codeChallenge, string? loginHint) =>
        new RequestUrl(RingCentralEndpoints.Resolve(serverUrl, RingCentralEndpoints.Authorize).ToString()).CreateAuthorizeUrl(
            clientId: clientId,
            responseType: "code",
            redirectUri: redirectUri,
            state: state,
            loginHint: string.IsNullOrWhiteSpace(loginHint) ? null : loginHint,
            codeChallenge: codeChallenge,
            codeChallengeMethod: Pkce.Method);
}
