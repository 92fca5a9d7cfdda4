namespace RingCentralOAuthFunctions.State;

/// <summary>
/// Why a <see cref="SealedEnvelope"/> (a state or a Complete ticket) was refused: a fixed code for logs and metrics,
/// which print it as <c>state_</c> or <c>ticket_</c> and the member's name in lower case.
/// </summary>
public enum EnvelopeRejection
{
    None,
    Missing,
    Malformed,
    UnknownKey,
    Tampered,
    WrongPurpose,
    Expired,
    NotYetValid,
}

/// <summary>The one place a rejection becomes the reason text that log lines, metrics and alerts carry.</summary>
public static class EnvelopeRejectionReasons
{
    /// <summary><c>state_expired</c>, <c>ticket_tampered</c>, …: the envelope's kind (<c>state</c> or <c>ticket</c>) and the rejection in lower case.</summary>
    public static string ReasonFor(this EnvelopeRejection rejection, string envelope) =>
        envelope + "_" + rejection.ToString().ToLowerInvariant();
}
