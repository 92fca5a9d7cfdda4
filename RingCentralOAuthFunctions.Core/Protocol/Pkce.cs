using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace RingCentralOAuthFunctions.Protocol;

/// <summary>PKCE S256 (RFC 7636): a 32-byte random verifier, base64url (43 characters), and its SHA-256 challenge.</summary>
public static class Pkce
{
    public const string Method = "S256";
    public const int VerifierLength = 43;

    public static string CreateVerifier() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string ChallengeFor(string verifier) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary>RFC 7636 section 4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].</summary>
    public static bool IsWellFormedVerifier(string? verifier) =>
        verifier is { Length: >= 43 and <= 128 } && verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');
}
