namespace RingCentralOAuthFunctions.State;

/// <summary>What travels, sealed, inside the OAuth <c>state</c> parameter: who started the flow and their PKCE verifier.</summary>
public sealed record OAuthState(Guid UserId, string CodeVerifier, string Purpose, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    public const string RingCentralPurpose = "ringcentral";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public override string ToString() => $"OAuthState(user {UserId}, purpose {Purpose}, expires {ExpiresAt:O})";
}

/// <summary>Why a state was refused: a fixed code for logs and metrics.</summary>
public enum StateRejection
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
