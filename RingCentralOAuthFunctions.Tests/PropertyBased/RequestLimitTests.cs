using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.LocalHost;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// Oversized requests are refused by the server's limits (16 KB body, 32 KB headers, 8 KB request line) before any
/// handler acts on them: a valid token or a valid code in an oversized request changes nothing.
/// </summary>
public sealed class RequestLimitTests : IAsyncLifetime
{
    private ServiceHost _host = null!;
    private readonly Guid _user = Guid.NewGuid();
    private string _token = null!;
    private string _tokensRow = null!, _connectionRow = null!;

    public async Task InitializeAsync()
    {
        _host = await ServiceHost.StartAsync();
        await _host.ConnectAsync(_user, "jane@rebar.test");
        _tokensRow = _host.Supabase.Row(FakeSupabase.TokensTable, _user)!.ToJsonString();
        _connectionRow = _host.Supabase.Row(FakeSupabase.ConnectionsTable, _user)!.ToJsonString();
        _token = _host.Supabase.MintAccessToken(_user, "jane@rebar.test");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static byte[] Body(long size) => Enumerable.Repeat((byte)'a', (int)size).ToArray();

    private void AssertNothingChanged(int issuedBefore)
    {
        Assert.Equal(_tokensRow, _host.Supabase.Row(FakeSupabase.TokensTable, _user)!.ToJsonString());
        Assert.Equal(_connectionRow, _host.Supabase.Row(FakeSupabase.ConnectionsTable, _user)!.ToJsonString());
        Assert.Empty(_host.Supabase.RequestsTo("DELETE", "/rest/v1/"));
        Assert.Empty(_host.RingCentral.Revoked);
        Assert.Equal(issuedBefore, _host.RingCentral.Issued.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_disconnect_with_a_body_over_16_kb_is_413_and_deletes_nothing(bool chunked)
    {
        var answer = await RawHttp.SendAsync(_host.BaseUrl, "POST", "/api/ringcentral/disconnect",
            [("Authorization", "Bearer " + _token), ("Content-Type", "application/json")], Body(RequestLimits.MaxBodyBytes + 1024), chunked);

        Assert.Equal(413, answer.Status);
        AssertNothingChanged(issuedBefore: 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_complete_with_a_real_ticket_padded_over_16_kb_is_413_and_exchanges_nothing(bool chunked)
    {
        var callback = await _host.CallbackAsync(await _host.AuthorizeAsync(await _host.GetAuthUrlAsync(_user, "jane@rebar.test")));
        var padded = System.Text.Encoding.UTF8.GetBytes($$"""{"ticket":"{{callback.Ticket}}","pad":"{{new string('x', (int)RequestLimits.MaxBodyBytes)}}"}""");
        var tokenRequestsBefore = _host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();

        var answer = await RawHttp.SendAsync(_host.BaseUrl, "POST", "/api/ringcentral/complete",
            [("Authorization", "Bearer " + _token), ("Content-Type", "application/json")], padded, chunked);

        Assert.Equal(413, answer.Status);
        Assert.Equal(tokenRequestsBefore, _host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count());
        AssertNothingChanged(issuedBefore: 1);
    }

    [Fact]
    public async Task An_auth_url_request_with_a_body_over_16_kb_is_413_and_starts_no_flow()
    {
        var answer = await RawHttp.SendAsync(_host.BaseUrl, "POST", "/api/ringcentral/auth-url",
            [("Authorization", "Bearer " + _token)], Body(RequestLimits.MaxBodyBytes + 1));

        Assert.Equal(413, answer.Status);
        Assert.DoesNotContain("authUrl", answer.Body);
    }

    [Fact]
    public async Task A_disconnect_with_headers_over_32_kb_is_431_and_deletes_nothing()
    {
        var padding = Enumerable.Range(0, 40).Select(i => ($"X-Padding-{i}", new string('p', 1024)));
        var answer = await RawHttp.SendAsync(_host.BaseUrl, "POST", "/api/ringcentral/disconnect", [("Authorization", "Bearer " + _token), .. padding]);

        Assert.Equal(431, answer.Status);
        AssertNothingChanged(issuedBefore: 1);
    }

    [Fact]
    public async Task A_callback_with_a_real_code_and_state_but_a_request_line_over_8_kb_is_414_and_redeems_nothing()
    {
        var callback = await _host.AuthorizeAsync(await _host.GetAuthUrlAsync(_user, "jane@rebar.test"));
        var target = callback.PathAndQuery + "&pad=" + new string('x', 9 * 1024);

        var answer = await RawHttp.SendAsync(_host.BaseUrl, "GET", target);

        Assert.Equal(414, answer.Status);
        Assert.Single(_host.RingCentral.RequestsTo("POST", "/restapi/oauth/token")); // the first connection's only
        AssertNothingChanged(issuedBefore: 1);
        // The same callback within the limits still works: the refusal was the size, not the content.
        Assert.Equal("success", (await _host.CallbackAsync(callback)).Status);
    }
}
