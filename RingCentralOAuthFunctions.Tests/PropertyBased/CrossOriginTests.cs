using CsCheck;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// Cross-origin calls to the authenticated routes: only <c>Cors:AllowedOrigins</c> is ever granted CORS, never with
/// credentials (the API takes a bearer token, not cookies), and a preflight from any other origin grants nothing.
/// </summary>
public sealed class CrossOriginTests : IAsyncLifetime
{
    private const string Allowed = "https://erp.example.test";
    private static readonly string[] Paths = ["/api/ringcentral/auth-url", "/api/ringcentral/status", "/api/ringcentral/disconnect", "/api/ringcentral/complete"];
    private ServiceHost _host = null!;

    public async Task InitializeAsync() => _host = await ServiceHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<Answer> PreflightAsync(string path, string origin, string method) =>
        RawHttp.SendAsync(_host.BaseUrl, "OPTIONS", path,
            [("Origin", origin), ("Access-Control-Request-Method", method), ("Access-Control-Request-Headers", "authorization")]);

    [Fact]
    public async Task The_erp_origin_may_call_the_authenticated_routes_with_a_bearer_token_and_no_credentials()
    {
        foreach (var path in Paths)
        {
            var answer = await PreflightAsync(path, Allowed, "POST");
            Assert.Equal(Allowed, answer.Header("Access-Control-Allow-Origin"));
            Assert.Contains("authorization", answer.Header("Access-Control-Allow-Headers") ?? "", StringComparison.OrdinalIgnoreCase);
            Assert.Null(answer.Header("Access-Control-Allow-Credentials"));
        }
    }

    [Fact]
    public async Task Generated_foreign_origins_are_never_granted_cors_on_any_authenticated_route()
    {
        var lookalikes = Gen.OneOf("https://evil.example", "null", "https://erp.example.test.evil.example", "http://erp.example.test",
            "https://erp.example.test:8443", "https://sub.erp.example.test", "https://erp-example.test", "https://ERP.example.test.", "*", "");
        var generated = Gen.Select(Gen.OneOf("http", "https", "file", "chrome-extension"), Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-."].Array[1, 30],
            (scheme, host) => $"{scheme}://{new string(host)}");
        var bearer = "Bearer " + _host.Supabase.MintAccessToken(Guid.NewGuid());

        await Gen.Select(Gen.OneOf<string>(lookalikes, generated).Where(o => o != Allowed), Gen.OneOf(Paths), Gen.Bool).SampleAsync(async (origin, path, preflight) =>
        {
            var answer = preflight
                ? await PreflightAsync(path, origin, "POST")
                : await RawHttp.SendAsync(_host.BaseUrl, path.EndsWith("status", StringComparison.Ordinal) ? "GET" : "POST", path,
                    [("Origin", origin), ("Authorization", bearer)]);
            Assert.Null(answer.Header("Access-Control-Allow-Origin"));
            Assert.Null(answer.Header("Access-Control-Allow-Credentials"));
        }, iter: 200);
    }
}
