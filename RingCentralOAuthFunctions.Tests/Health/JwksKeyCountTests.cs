using System.Text;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;

namespace RingCentralOAuthFunctions.Tests.Health;

/// <summary>
/// The JWKS check of Health's dependency round reads the key set with System.Text.Json (not Microsoft.IdentityModel,
/// which start-up should not load): the keys that can check an ES256/RS256 signature are counted as IdentityModel's
/// JsonWebKeySet counted them, and a body that is not a key set is told apart from an empty one.
/// </summary>
public sealed class JwksKeyCountTests
{
    [Theory]
    [InlineData("""{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","kid":"1","use":"sig","alg":"ES256"}]}""", 1)]
    [InlineData("""{"keys":[{"kty":"RSA","n":"a","e":"AQAB"},{"kty":"EC","use":"sig"}]}""", 2)]           // use absent counts
    [InlineData("""{"keys":[{"kty":"RSA","use":"enc"},{"kty":"oct","k":"c2VjcmV0"}]}""", 0)]               // encryption and symmetric keys do not
    [InlineData("""{"keys":[]}""", 0)]                                                                      // an HS256 project: no public key
    [InlineData("""{"keys":[null, 1, "x", {"kty":"EC"}]}""", 1)]                                            // junk entries are skipped
    [InlineData("""{"keys":{"kty":"EC"}}""", null)]
    [InlineData("""{"other":[]}""", null)]
    [InlineData("""[{"kty":"EC"}]""", null)]
    [InlineData("""<html>502 Bad Gateway</html>""", null)]
    [InlineData("", null)]
    public async Task Counts_the_signing_keys_or_says_it_is_not_a_key_set(string body, int? expected)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(body));

        Assert.Equal(expected, await DependencyChecks.CountSigningKeysAsync(stream, CancellationToken.None));
    }
}
