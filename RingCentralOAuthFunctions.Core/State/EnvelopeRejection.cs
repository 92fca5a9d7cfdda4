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
