using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Supabase;

/// <summary>Every rejection of a Supabase access token, through the real auth-url route: 401 JSON, never 500.</summary>
public sealed class UserTokenValidationTests : IAsyncLifetime
{
    private const string JwtSecret = "legacy-project-jwt-secret-with-at-least-32-bytes!";
    private ServiceHost _host = null!;

    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<HttpStatusCode> AuthUrlStatusAsync(string token, ServiceHost? host = null)
    {
        host ??= _host;
        using var response = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", token));
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
            Assert.StartsWith("application/json", response.Content.Headers.ContentType!.ToString());
        }

        return response.StatusCode;
    }

    [Fact]
    public async Task A_valid_es256_token_is_accepted() =>
        Assert.Equal(HttpStatusCode.OK, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid())));

    [Fact]
    public async Task An_expired_token_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d =>
        {
            d.IssuedAt = DateTime.UtcNow.AddHours(-2);
            d.NotBefore = DateTime.UtcNow.AddHours(-2);
            d.Expires = DateTime.UtcNow.AddMinutes(-5);
        })));

    [Fact]
    public async Task A_token_from_another_issuer_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Issuer = "https://other.supabase.co/auth/v1")));

    [Fact]
    public async Task A_token_for_another_audience_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Audience = "anon")));

    [Fact]
    public async Task A_token_whose_sub_is_not_a_uuid_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Claims["sub"] = "admin")));

    [Fact]
    public async Task A_token_without_exp_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Expires = null)));

    [Fact]
    public async Task A_token_signed_by_an_unknown_key_is_refused()
    {
        var stranger = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = _host.Supabase.KeyId };
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid(),
            customize: d => d.SigningCredentials = new SigningCredentials(stranger, SecurityAlgorithms.EcdsaSha256))));
    }

    [Fact]
    public async Task A_token_with_a_changed_payload_is_refused()
    {
        var parts = _host.Supabase.MintAccessToken(Guid.NewGuid()).Split('.');
        var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        payload["sub"] = JsonDocument.Parse($"\"{Guid.NewGuid()}\"").RootElement;
        parts[1] = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload));
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(string.Join('.', parts)));
    }

    [Fact]
    public async Task Alg_none_is_refused()
    {
        var header = Base64Url.EncodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8);
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            sub = Guid.NewGuid(), aud = "authenticated", iss = _host.Supabase.Issuer, exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds(),
        })));
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync($"{header}.{payload}."));
    }

    [Fact]
    public async Task Hs256_signed_with_the_public_key_is_refused()
    {
        // Algorithm confusion: an attacker signs HS256 with the (public) JWKS key as the HMAC secret.
        var jwks = await _host.Client.GetStringAsync(_host.Supabase.Url + "/auth/v1/.well-known/jwks.json");
        var hmac = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwks.PadRight(64))) { KeyId = _host.Supabase.KeyId };
        var token = _host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.SigningCredentials = new SigningCredentials(hmac, SecurityAlgorithms.HmacSha256));
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(token));
    }

    [Fact]
    public async Task Hs256_with_the_configured_legacy_secret_is_accepted_and_with_another_secret_refused()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Supabase:JwtSecret"] = JwtSecret });
        string Hs256(string secret) => host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.SigningCredentials =
            new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256));

        Assert.Equal(HttpStatusCode.OK, await AuthUrlStatusAsync(Hs256(JwtSecret), host));
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(Hs256(JwtSecret.Replace('!', '?')), host));
        // ES256 tokens keep working alongside.
        Assert.Equal(HttpStatusCode.OK, await AuthUrlStatusAsync(host.Supabase.MintAccessToken(Guid.NewGuid()), host));
    }

    [Fact]
    public async Task Hs256_is_refused_when_no_legacy_secret_is_configured()
    {
        var token = _host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.SigningCredentials =
            new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JwtSecret)), SecurityAlgorithms.HmacSha256));
        Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(token));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer not.a.jwt")]
    [InlineData("Bearer a.b")]
    [InlineData("Bearer eyJhbGciOiJFUzI1NiJ9.%%%.sig")]
    public async Task Missing_or_malformed_authorization_is_401(string? header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/ringcentral/auth-url");
        if (header is not null) request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await _host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task Jwks_is_fetched_once_and_cached_across_requests()
    {
        for (var i = 0; i < 5; i++) await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid()));
        Assert.Single(_host.Supabase.RequestsTo("GET", "/auth/v1/.well-known/jwks.json"));
    }

    [Fact]
    public async Task An_unknown_kid_refetches_the_jwks_once_not_per_request()
    {
        await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid()));
        var unknown = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "rotated-key" };
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await AuthUrlStatusAsync(_host.Supabase.MintAccessToken(Guid.NewGuid(),
                customize: d => d.SigningCredentials = new SigningCredentials(unknown, SecurityAlgorithms.EcdsaSha256))));
        }

        Assert.Equal(2, _host.Supabase.RequestsTo("GET", "/auth/v1/.well-known/jwks.json").Count());
    }
}

/// <summary>Issue 10 item 1: tokens that are signed and addressed to "authenticated" but are not an ERP user's.</summary>
public sealed class NonUserTokenTests : IAsyncLifetime
{
    private ServiceHost _host = null!;

    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    public static TheoryData<string, string> Routes => new()
    {
        { "POST", "/api/ringcentral/auth-url" },
        { "GET", "/api/ringcentral/status" },
        { "POST", "/api/ringcentral/disconnect" },
    };

    private async Task AssertRefusedAsync(string method, string path, string token)
    {
        using var response = await _host.Client.SendAsync(_host.Authorized(new HttpMethod(method), path, token));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType!.ToString());
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task An_anonymous_sign_in_is_refused(string method, string path) =>
        await AssertRefusedAsync(method, path, _host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d =>
        {
            d.Claims["is_anonymous"] = true;
        }));

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task An_anon_role_token_is_refused(string method, string path) =>
        await AssertRefusedAsync(method, path, _host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Claims["role"] = "anon"));

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_service_role_token_is_refused(string method, string path) =>
        await AssertRefusedAsync(method, path, _host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Claims["role"] = "service_role"));

    [Fact]
    public async Task A_token_without_a_role_is_refused() =>
        await AssertRefusedAsync("POST", "/api/ringcentral/auth-url", _host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Claims.Remove("role")));

    [Fact]
    public async Task A_user_token_with_is_anonymous_false_is_accepted()
    {
        using var response = await _host.Client.SendAsync(_host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url",
            _host.Supabase.MintAccessToken(Guid.NewGuid(), customize: d => d.Claims["is_anonymous"] = false)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
