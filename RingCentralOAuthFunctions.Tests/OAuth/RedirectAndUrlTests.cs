using Microsoft.AspNetCore.WebUtilities;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.RingCentral;

namespace RingCentralOAuthFunctions.Tests.OAuth;

public sealed class RedirectAndUrlTests
{
    private const string Page = "https://erp.rebar.shop/integrations/callback";

    [Fact]
    public void Success_redirect_has_status_integration_and_the_ticket_only_in_the_fragment()
    {
        var location = new Uri(AppRedirect.SuccessWithTicket(Page, "sealed-ticket_1"));
        Assert.Equal(Page + "?status=success&integration=ringcentral", location.GetLeftPart(UriPartial.Query));
        Assert.Equal("#ticket=sealed-ticket_1", location.Fragment);
        Assert.DoesNotContain("ticket", location.Query);
    }

    [Fact]
    public void Success_redirect_replaces_a_fragment_of_the_configured_page() =>
        Assert.Equal(Page + "?status=success&integration=ringcentral#ticket=t", AppRedirect.SuccessWithTicket(Page + "#old", "t"));

    [Fact]
    public void Error_redirect_encodes_the_message()
    {
        var location = AppRedirect.Error(Page, CallbackMessages.SaveFailed);
        Assert.StartsWith(Page + "?status=error&integration=ringcentral&message=", location);
        Assert.Equal(CallbackMessages.SaveFailed, QueryHelpers.ParseQuery(new Uri(location).Query)["message"]);
        Assert.DoesNotContain(' ', location);
    }

    [Theory]
    [InlineData("access_denied", CallbackMessages.Cancelled)]
    [InlineData("temporarily_unavailable", CallbackMessages.ProviderUnavailable)]
    [InlineData("server_error", CallbackMessages.ProviderUnavailable)]
    [InlineData("invalid_scope", CallbackMessages.Denied)]
    [InlineData("<script>", CallbackMessages.Denied)]
    public void Provider_errors_map_to_fixed_messages(string error, string expected) =>
        Assert.Equal(expected, CallbackMessages.ForProviderError(error));

    [Fact]
    public void Authorize_url_has_every_parameter_encoded()
    {
        var url = new Uri(AuthorizeUrl.Build("https://platform.ringcentral.com/", "client id", "https://fn.example/api/ringcentral/callback",
            "st-ate_1", "challenge", "jane+x@rebar.shop"));
        var query = QueryHelpers.ParseQuery(url.Query);

        Assert.Equal("https://platform.ringcentral.com/restapi/oauth/authorize", url.GetLeftPart(UriPartial.Path));
        Assert.Equal("client id", query["client_id"]);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("https://fn.example/api/ringcentral/callback", query["redirect_uri"]);
        Assert.Equal("st-ate_1", query["state"]);
        Assert.Equal("challenge", query["code_challenge"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal("jane+x@rebar.shop", query["login_hint"]);
    }

    [Fact]
    public void Authorize_url_without_email_has_no_login_hint()
    {
        var url = new Uri(AuthorizeUrl.Build("https://platform.ringcentral.com", "id", "https://fn.example/cb", "s", "c", null));
        Assert.False(QueryHelpers.ParseQuery(url.Query).ContainsKey("login_hint"));
    }

    [Theory]
    [InlineData("Jane\r\nSet-Cookie: x", "JaneSet-Cookie: x")]
    [InlineData("  jane@rebar.shop\u0000 ", "jane@rebar.shop")]
    [InlineData("line\u2028break", "linebreak")]
    public void Account_labels_from_ringcentral_lose_control_characters(string raw, string expected) =>
        Assert.Equal(expected, RingCentralClient.SanitizeLabel(raw));

    [Fact]
    public void Account_labels_are_bounded() => Assert.Equal(254, RingCentralClient.SanitizeLabel(new string('a', 1000)).Length);
}
