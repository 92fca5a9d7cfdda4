using System.Buffers.Text;
using System.Security.Cryptography;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// What travels, sealed, inside the OAuth <c>state</c> parameter: who started the flow, their PKCE verifier, and
/// a random flow id that names this one flow (GetAuthUrl to Complete) so a replay of it can be recognised.
/// </summary>
public sealed record OAuthState(Guid UserId, string CodeVerifier, string Purpose, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string FlowId)
{
    public const string RingCentralPurpose = "ringcentral";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>16 random bytes, base64url: 22 characters.</summary>
    public const int FlowIdLength = 22;

    public static string NewFlowId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public static bool IsWellFormedFlowId(string? flowId) =>
        flowId is { Length: FlowIdLength } && flowId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public override string ToString() => $"OAuthState(user {UserId}, purpose {Purpose}, expires {ExpiresAt:O})";
}
