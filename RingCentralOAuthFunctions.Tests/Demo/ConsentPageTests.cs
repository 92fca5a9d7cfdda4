using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Demo;

/// <summary>The RingCentral stand-in's opt-in sign-in and consent page (the demo's), through real HTTP.</summary>
public sealed class ConsentPageTests : IAsyncLifetime
{
    private const string RedirectUri = "http://127.0.0.1:9/api/ringcentral/callback";
    private const string Verifier = "demo-verifier-0123456789-0123456789-0123456789";
    private FakeRingCentral _ringCentral = null!;
    private readonly HttpClient _client = new(new HttpClientHandler { AllowAutoRedirect = false });

    public async Task InitializeAsync()
    {
        _ringCentral = await FakeRingCentral.StartNewAsync();
        _ringCentral.InteractiveConsent = true;
        _ringCentral.ConsentAccounts = ["hank@rc.test", "ivy@rc.test"];
    }

    [Fact]
    public async Task Authorize_shows_a_demo_page_with_the_accounts_and_the_request_encoded()
    {
        var hostileState = "\"><script>alert(1)</script>";
        using var response = await _client.GetAsync(AuthorizeUrl(hostileState, loginHint: "ivy@rc.test"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("DEMO", html);
        Assert.Contains("""value="hank@rc.test">""", html);
        Assert.Contains("""value="ivy@rc.test" checked>""", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains(WebUtility.HtmlEncode(hostileState), html);
        Assert.Empty(_ringCentral.Issued);
    }

    [Fact]
    public async Task Allow_redirects_with_a_code_for_the_chosen_account_that_the_token_endpoint_redeems()
    {
        using var response = await PostConsentAsync("allow", "ivy@rc.test");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(RedirectUri + "?", location.ToString());
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("state-1", query["state"]);
        var code = query["code"].ToString();
        Assert.StartsWith("code-", code);

        using var token = new HttpRequestMessage(HttpMethod.Post, _ringCentral.Url + "/restapi/oauth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = RedirectUri, ["code_verifier"] = Verifier,
            }),
        };
        token.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{FakeRingCentral.ClientId}:{FakeRingCentral.ClientSecret}")));
        using var tokenResponse = await _client.SendAsync(token);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var body = await tokenResponse.Content.ReadFromJsonAsync<JsonElement>();
        var issued = Assert.Single(_ringCentral.Issued);
        Assert.Equal(issued.AccessToken, body.GetProperty("access_token").GetString());
        Assert.Equal("ivy@rc.test", issued.Email);
    }

    [Fact]
    public async Task Deny_redirects_with_access_denied_and_issues_nothing()
    {
        using var response = await PostConsentAsync("deny", "hank@rc.test");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("access_denied", query["error"]);
        Assert.Equal("state-1", query["state"]);
        Assert.False(query.ContainsKey("code"));
        Assert.Empty(_ringCentral.Issued);
    }

    [Theory]
    [InlineData("allow", "mallory@rc.test", FakeRingCentral.ClientId)]
    [InlineData("allow", "", FakeRingCentral.ClientId)]
    [InlineData("maybe", "hank@rc.test", FakeRingCentral.ClientId)]
    [InlineData("allow", "hank@rc.test", "another-client")]
    public async Task A_consent_post_outside_the_page_s_choices_is_refused(string decision, string account, string clientId)
    {
        using var response = await PostConsentAsync(decision, account, clientId);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Without_interactive_consent_authorize_redirects_at_once_and_the_form_post_does_not_exist()
    {
        _ringCentral.InteractiveConsent = false;

        using var get = await _client.GetAsync(AuthorizeUrl("state-1"));
        Assert.Equal(HttpStatusCode.Redirect, get.StatusCode);
        Assert.NotNull(QueryHelpers.ParseQuery(get.Headers.Location!.Query)["code"].ToString());
        using var post = await PostConsentAsync("allow", "hank@rc.test");
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
    }

    private string AuthorizeUrl(string state, string? loginHint = null) =>
        QueryHelpers.AddQueryString(_ringCentral.Url + "/restapi/oauth/authorize", AuthorizeQuery(state, FakeRingCentral.ClientId, loginHint));

    private static Dictionary<string, string?> AuthorizeQuery(string state, string clientId, string? loginHint = null)
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["response_type"] = "code",
            ["redirect_uri"] = RedirectUri,
            ["state"] = state,
            ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier))),
            ["code_challenge_method"] = "S256",
        };
        if (loginHint is not null) query["login_hint"] = loginHint;
        return query;
    }

    private Task<HttpResponseMessage> PostConsentAsync(string decision, string account, string clientId = FakeRingCentral.ClientId)
    {
        var form = AuthorizeQuery("state-1", clientId);
        form["decision"] = decision;
        form["account"] = account;
        return _client.PostAsync(_ringCentral.Url + "/restapi/oauth/authorize", new FormUrlEncodedContent(form));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _ringCentral.DisposeAsync();
    }
}
