using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// Generated bearer tokens and malformed <c>Authorization</c> headers on every authenticated route (auth-url, status,
/// disconnect, complete): always 401 JSON with <c>WWW-Authenticate: Bearer</c>, never 500, and the victim whose user id the
/// forged tokens carry keeps their connection (no delete, no revoke, no update).
/// </summary>
public sealed class AuthorizationPropertyTests : IAsyncLifetime
{
    private ServiceHost _host = null!;
    private readonly Guid _victim = Guid.NewGuid();
    private string _valid = null!;
    private string _tokensRow = null!, _connectionRow = null!;
    private string[] _signedButWrong = null!;

    public async Task InitializeAsync()
    {
        _host = await ServiceHost.StartAsync();
        Assert.Equal("success", (await _host.ConnectAsync(_victim, "victim@rebar.test")).Status);
        _tokensRow = _host.Supabase.Row(FakeSupabase.TokensTable, _victim)!.ToJsonString();
        _connectionRow = _host.Supabase.Row(FakeSupabase.ConnectionsTable, _victim)!.ToJsonString();
        _valid = _host.Supabase.MintAccessToken(_victim, "victim@rebar.test");
        _signedButWrong = SignedButWrongTokens();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private sealed record Route(string Method, string Path, Func<IServiceProvider, Func<HttpRequest, CancellationToken, Task<IResult>>> Handler);

    private static readonly Route[] Routes =
    [
        new("POST", "/api/ringcentral/auth-url", s => s.GetRequiredService<AuthUrlEndpoint>().HandleAsync),
        new("GET", "/api/ringcentral/status", s => s.GetRequiredService<StatusEndpoint>().HandleAsync),
        new("POST", "/api/ringcentral/disconnect", s => s.GetRequiredService<DisconnectEndpoint>().HandleAsync),
        new("POST", "/api/ringcentral/complete", s => s.GetRequiredService<CompleteEndpoint>().HandleAsync),
    ];

    /// <summary>Correctly signed by the project's key (or a look-alike) but wrong in a way that must be refused.</summary>
    private string[] SignedButWrongTokens()
    {
        var supabase = _host.Supabase;
        var stranger = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = supabase.KeyId };
        var publicKeyAsHmac = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(
            JsonWebKeyConverter.ConvertFromECDsaSecurityKey(supabase.SigningKey)).PadRight(64))) { KeyId = supabase.KeyId };
        var rsa = new RsaSecurityKey(RSA.Create(2048)) { KeyId = supabase.KeyId };
        return
        [
            supabase.MintAccessToken(_victim, customize: d => { d.IssuedAt = d.NotBefore = DateTime.UtcNow.AddHours(-3); d.Expires = DateTime.UtcNow.AddMinutes(-2); }),
            supabase.MintAccessToken(_victim, customize: d => d.NotBefore = DateTime.UtcNow.AddMinutes(10)),
            supabase.MintAccessToken(_victim, customize: d => d.Expires = null),
            supabase.MintAccessToken(_victim, customize: d => d.Issuer = "https://attacker.supabase.co/auth/v1"),
            supabase.MintAccessToken(_victim, customize: d => d.Audience = "anon"),
            supabase.MintAccessToken(_victim, customize: d => d.Claims["sub"] = "admin"),
            supabase.MintAccessToken(_victim, customize: d => d.Claims["sub"] = Guid.Empty.ToString()),
            supabase.MintAccessToken(_victim, customize: d => d.SigningCredentials = new SigningCredentials(stranger, SecurityAlgorithms.EcdsaSha256)),
            supabase.MintAccessToken(_victim, customize: d => d.SigningCredentials = new SigningCredentials(publicKeyAsHmac, SecurityAlgorithms.HmacSha256)),
            supabase.MintAccessToken(_victim, customize: d => d.SigningCredentials = new SigningCredentials(rsa, SecurityAlgorithms.RsaSha256)),
            supabase.MintAccessToken(_victim, customize: d => d.SigningCredentials = null),
        ];
    }

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    /// <summary>A JWT-shaped token with any header (alg, kid), the victim's claims, and a random or empty signature.</summary>
    private Gen<string> JwtShaped => Gen.Select(
        Gen.OneOf("none", "None", "NONE", "nOnE", "HS256", "HS384", "HS512", "RS256", "RS512", "PS256", "ES256", "ES384", "ES512", "EdDSA", "", "dir", "A128KW").Null(0.1),
        Gen.OneOf<string>(Gen.Const(_host.Supabase.KeyId), Gen.OneOf("", "../../../jwks", "0", "\u0000"), Gen.String[0, 20]).Null(0.2),
        Gen.Byte.Array[0, 128],
        Gen.Bool,
        (alg, kid, signature, withTyp) =>
        {
            var header = new JsonObject { ["alg"] = alg };
            if (kid is not null) header["kid"] = kid;
            if (withTyp) header["typ"] = "JWT";
            var payload = new JsonObject
            {
                ["sub"] = _victim.ToString(), ["aud"] = "authenticated", ["role"] = "authenticated", ["iss"] = _host.Supabase.Issuer,
                ["exp"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
            };
            return $"{B64(header.ToJsonString())}.{B64(payload.ToJsonString())}.{Base64Url.EncodeToString(signature)}";
        });

    /// <summary>The victim's valid token with one bit flipped in the decoded bytes of its header, payload or signature.</summary>
    private Gen<string> BitFlipped => Gen.Int.Positive.Select(position =>
    {
        var parts = _valid.Split('.');
        var segment = position % 3;
        var bytes = Base64Url.DecodeFromChars(parts[segment]);
        var bit = position / 3 % (bytes.Length * 8);
        bytes[bit / 8] ^= (byte)(1 << (bit % 8));
        parts[segment] = Base64Url.EncodeToString(bytes);
        return string.Join('.', parts);
    });

    private Gen<string> Token(bool wireSafe) => Gen.Frequency<string>(
        (2, wireSafe ? Gen.Char[' ', '~'].Array[0, 200].Select(c => new string(c)) : Gen.String[0, 200]),
        (4, JwtShaped),
        (4, BitFlipped),
        (2, Gen.OneOf(_signedButWrong)),
        (1, Gen.Char['a', 'z'].Array[SupabaseUserTokenValidatorMax + 1, 20_000].Select(c => new string(c))),
        (1, Gen.Const(_valid + "x")),
        (1, Gen.Const(_valid[..^1])));

    private const int SupabaseUserTokenValidatorMax = RingCentralOAuthFunctions.Supabase.SupabaseUserTokenValidator.MaxTokenLength;

    /// <summary>What a caller puts in <c>Authorization</c>: a (bad) token under various schemes, or the valid token in a shape that is not exactly one <c>Bearer</c> value.</summary>
    private Gen<StringValues> Header(bool wireSafe) => Gen.Frequency<StringValues>(
        (6, Token(wireSafe).Select(t => new StringValues("Bearer " + t))),
        (1, Token(wireSafe).Select(t => new StringValues("bearer " + t))),
        (1, Gen.Select(Gen.OneOf("Basic ", "Bearer", "Token ", "JWT ", "", "Bearer:", "Bearer=", "Digest "), Gen.OneOf(_valid, "x"), (scheme, t) => new StringValues(scheme + t))),
        (1, Gen.Select(Gen.OneOf(" ", ",", ", Bearer ", " junk ", ".x"), Gen.Char['!', '~'].Array[1, 10], (glue, junk) => new StringValues("Bearer " + _valid + glue + new string(junk)))),
        (1, Gen.OneOf(
            new StringValues(["Bearer " + _valid, "Bearer " + _valid]),
            new StringValues(["Bearer " + _valid, ""]),
            new StringValues(["Bearer x", "Bearer " + _valid]),
            StringValues.Empty,
            new StringValues(""),
            new StringValues("Bearer"),
            new StringValues("Bearer "),
            new StringValues("Bearer \t "))));

    private static bool WireSafe(StringValues header) => header.All(v => v!.All(c => c is '\t' or (>= ' ' and <= '~')));

    private void AssertRefused(Answer answer)
    {
        Assert.Equal(401, answer.Status);
        Assert.StartsWith("application/json", answer.Header("Content-Type"));
        Assert.Equal(ApiResponses.Unauthorized, JsonDocument.Parse(answer.Body).RootElement.GetProperty("error").GetString());
        Assert.Equal("Bearer", answer.Header("WWW-Authenticate"));
        Assert.Contains("no-store", answer.Header("Cache-Control"));
    }

    private void AssertVictimUntouched()
    {
        Assert.Equal(_tokensRow, _host.Supabase.Row(FakeSupabase.TokensTable, _victim)!.ToJsonString());
        Assert.Equal(_connectionRow, _host.Supabase.Row(FakeSupabase.ConnectionsTable, _victim)!.ToJsonString());
        Assert.Empty(_host.Supabase.RequestsTo("DELETE", "/rest/v1/"));
        Assert.Empty(_host.Supabase.RequestsTo("PATCH", "/rest/v1/"));
        Assert.Empty(_host.RingCentral.Revoked);
        Assert.DoesNotContain(_host.Logs.GetSnapshot(), r => r.Id.Name == "UnexpectedError");
    }

    [Fact]
    public async Task Generated_authorization_headers_run_in_process_are_401_json_on_every_route()
    {
        var services = _host.App.Services;
        await Gen.Select(Gen.OneOf(Routes), Header(wireSafe: false)).SampleAsync(async (route, header) =>
        {
            var context = InProcess.Context(services, route.Method, route.Path, headers: [new("Authorization", header)]);
            AssertRefused(await InProcess.RunAsync(context, route.Handler(services)));
        }, iter: 3_000, print: t => $"{t.Item1.Path} Authorization: {string.Join(" | ", t.Item2.ToArray())}");

        AssertVictimUntouched();
    }

    [Fact]
    public async Task Generated_authorization_headers_over_http_are_401_json_on_every_route()
    {
        await Gen.Select(Gen.OneOf(Routes), Header(wireSafe: true).Where(WireSafe)).SampleAsync(async (route, header) =>
            AssertRefused(await RawHttp.SendAsync(_host.BaseUrl, route.Method, route.Path, header.Select(v => ("Authorization", v!)))),
            iter: 300, print: t => $"{t.Item1.Path} Authorization: {string.Join(" | ", t.Item2.ToArray())}");

        AssertVictimUntouched();
    }

    [Fact]
    public async Task The_valid_token_itself_is_accepted_so_the_refusals_are_not_vacuous()
    {
        var answer = await RawHttp.SendAsync(_host.BaseUrl, "GET", "/api/ringcentral/status", [("Authorization", "Bearer " + _valid)]);
        Assert.Equal(200, answer.Status);
        Assert.Equal("victim@rebar.test", JsonDocument.Parse(answer.Body).RootElement.GetProperty("email").GetString());
    }
}
