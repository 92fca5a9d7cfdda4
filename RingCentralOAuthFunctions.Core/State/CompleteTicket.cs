namespace RingCentralOAuthFunctions.State;

/// <summary>
/// What travels, sealed, in the <c>#ticket=</c> fragment from the Callback to Complete: the user the state named,
/// RingCentral's code, the PKCE verifier and the flow id. <see cref="ToString"/> never prints the code or verifier.
/// </summary>
public sealed record CompleteTicket(Guid UserId, string Code, string CodeVerifier, string FlowId, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    public const string Purpose = "ringcentral-complete";

    /// <summary>RingCentral's codes live about a minute; the opener posts the ticket within seconds.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    /// <summary>Longest code the Callback accepts (printable ASCII); RingCentral's are far shorter.</summary>
    public const int MaxCodeLength = 2048;

    public override string ToString() => $"CompleteTicket(user {UserId}, expires {ExpiresAt:O})";
}
