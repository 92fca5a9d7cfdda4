using System.Buffers.Text;
using RingCentralOAuthFunctions.Protocol;

namespace RingCentralOAuthFunctions.Tests.Protocol;

public sealed class PkceTests
{
    // RFC 7636 appendix B: the verifier's 32 random octets, the verifier, and its S256 challenge.
    private static readonly byte[] RfcOctets =
    [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
        22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];

    private const string RfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private const string RfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    [Fact]
    public void Challenge_matches_the_rfc7636_appendix_b_vector() => Assert.Equal(RfcChallenge, Pkce.ChallengeFor(RfcVerifier));

    [Fact]
    public void Verifier_encoding_matches_the_rfc7636_appendix_b_octets() => Assert.Equal(RfcVerifier, Base64Url.EncodeToString(RfcOctets));

    [Fact]
    public void New_verifiers_are_43_unreserved_characters_and_distinct()
    {
        var verifiers = Enumerable.Range(0, 200).Select(_ => Pkce.CreateVerifier()).ToList();
        Assert.All(verifiers, v => Assert.True(Pkce.IsWellFormedVerifier(v) && v.Length == Pkce.VerifierLength, v));
        Assert.Equal(verifiers.Count, verifiers.Distinct().Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX")] // 42 characters
    [InlineData("dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk")] // not base64url
    public void Malformed_verifiers_are_refused(string verifier) => Assert.False(Pkce.IsWellFormedVerifier(verifier));
}
