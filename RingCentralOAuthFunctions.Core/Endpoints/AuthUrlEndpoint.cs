using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Protocol;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>POST /api/ringcentral/auth-url</c>: for the signed-in ERP user, the RingCentral authorize URL whose sealed
/// <c>state</c> carries their id and PKCE verifier. Writes nothing to Supabase: an abandoned popup changes nothing.
/// </summary>
public sealed class AuthUrlEndpoint(
    BearerAuthentication authentication,
    StateKeySource stateKeys,
    StateProtector protector,
    IOptions<RingCentralOptions> ringCentral,
    IOptions<OAuthOptions> oauth,
    Telemetry telemetry,
    ILogger<AuthUrlEndpoint> logger)
{
    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;

            var verifier = Pkce.CreateVerifier();
            var state = protector.Seal(user.Id, verifier, await stateKeys.GetAsync(cancellationToken));
            var url = AuthorizeUrl.Build(ringCentral.Value.ServerUrl, ringCentral.Value.ClientId!, oauth.Value.CallbackUrl!,
                state, Pkce.ChallengeFor(verifier), user.Email);

            Log.ConnectStarted(logger, user.Id);
            telemetry.ConnectStarted();
            return ApiResponses.Ok(request, new AuthUrlResponse(url));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(AuthUrlEndpoint));
        }
    }

    public sealed record AuthUrlResponse(string AuthUrl);
}
