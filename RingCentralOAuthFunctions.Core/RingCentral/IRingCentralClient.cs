namespace RingCentralOAuthFunctions.RingCentral;

public interface IRingCentralClient
{
    /// <summary>
    /// Null when the client secret can be read now; else the <see cref="RingCentralFailure.NotConfigured"/> failure the
    /// exchange would give. Asked before a flow is claimed, so a vault outage does not spend the user's ticket.
    /// </summary>
    ValueTask<RingCentralFailure?> CheckClientSecretAsync(CancellationToken cancellationToken);

    /// <summary>Exchanges a code once (never retried: a code is single-use). Failures, timeouts and a client secret that cannot be read included, come back as <see cref="RingCentralFailure"/>, not exceptions.</summary>
    Task<(RingCentralTokens? Tokens, RingCentralFailure? Failure)> ExchangeCodeAsync(string code, string codeVerifier, CancellationToken cancellationToken);

    /// <summary>The extension's <c>contact.email</c>, else its <c>name</c>, else empty; null when the lookup failed.</summary>
    Task<(string? Label, int? HttpStatus)> GetAccountLabelAsync(string accessToken, CancellationToken cancellationToken);

    /// <summary>Revokes a token (a refresh token ends the whole session). Not retried; a timeout, or a client secret that cannot be read (<see cref="RingCentralFailure.NotConfigured"/>), is a failure, not an exception.</summary>
    Task<RingCentralFailure?> RevokeAsync(string token, CancellationToken cancellationToken);
}
