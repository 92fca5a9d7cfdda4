using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Scenarios.Faults;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Endpoints;

/// <summary>
/// <c>POST /api/ringcentral/complete</c> through real HTTP: every refusal is JSON with a fixed text, exchanges nothing
/// and writes nothing; RingCentral and Supabase failures map to 400 and 503; the per-user limit answers 429.
/// </summary>
public sealed class CompleteEndpointTests
{
    private static async Task<(Guid User, string Ticket)> TicketAsync(ServiceHost host, string? email = null, Guid? user = null)
    {
        user ??= Guid.NewGuid();
        var callback = await host.CallbackAsync(await host.AuthorizeAsync(await host.GetAuthUrlAsync(user.Value, email)));
        Assert.Equal("success", callback.Status);
        return (user.Value, callback.Ticket!);
    }

    private static void AssertNothingExchangedOrWritten(ServiceHost host)
    {
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        // At most the refusal of the flow is recorded (a 403); no row is written.
        Assert.DoesNotContain(host.Supabase.RequestsTo("POST", "/rest/v1/"), r => r.Path != "/rest/v1/rpc/ringcentral_oauth_refuse");
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
    }

    public static TheoryData<string, string> BadBodies()
    {
        var oversized = new string('A', 5000);
        return new()
        {
            { "missing body", "" },
            { "not json", "ticket=abc" },
            { "no ticket", "{}" },
            { "ticket not a string", """{"ticket":42}""" },
            { "null ticket", """{"ticket":null}""" },
            { "array", """["abc"]""" },
            { "empty ticket", """{"ticket":""}""" },
            { "not base64url", """{"ticket":"abc def!"}""" },
            { "short junk", """{"ticket":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""" },
            { "oversized", $$"""{"ticket":"{{oversized}}"}""" },
        };
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Missing_malformed_or_oversized_tickets_are_400_with_a_fixed_text_and_exchange_nothing(string _, string body)
    {
        await using var host = await ServiceHost.StartAsync();
        using var request = host.Authorized(HttpMethod.Post, ServiceHost.CompletePath, host.Supabase.MintAccessToken(Guid.NewGuid()));
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        var outcome = await host.SendCompleteAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, outcome.StatusCode);
        Assert.Equal(CompleteEndpoint.InvalidTicket, outcome.Error);
        AssertNothingExchangedOrWritten(host);
    }

    [Fact]
    public async Task A_tampered_ticket_is_400_and_exchanges_nothing()
    {
        await using var host = await ServiceHost.StartAsync();
        var (user, ticket) = await TicketAsync(host);
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(ticket);
        bytes[bytes.Length / 2] ^= 0x20;

        var outcome = await host.CompleteAsync(user, System.Buffers.Text.Base64Url.EncodeToString(bytes));

        Assert.Equal(HttpStatusCode.BadRequest, outcome.StatusCode);
        Assert.Equal(CompleteEndpoint.InvalidTicket, outcome.Error);
        AssertNothingExchangedOrWritten(host);
    }

    [Fact]
    public async Task An_expired_ticket_is_400_and_exchanges_nothing()
    {
        var clock = new ShiftedClock();
        await using var host = await ServiceHost.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var (user, ticket) = await TicketAsync(host);
        clock.Advance(RingCentralOAuthFunctions.State.CompleteTicket.Lifetime + TimeSpan.FromSeconds(1));

        var outcome = await host.CompleteAsync(user, ticket);

        Assert.Equal(HttpStatusCode.BadRequest, outcome.StatusCode);
        Assert.Equal(CompleteEndpoint.InvalidTicket, outcome.Error);
        AssertNothingExchangedOrWritten(host);
    }

    [Fact]
    public async Task A_ticket_sealed_under_another_deployment_key_is_400()
    {
        await using var first = await ServiceHost.StartAsync();
        await using var second = await ServiceHost.StartAsync();
        var (user, ticket) = await TicketAsync(first);

        var outcome = await second.CompleteAsync(user, ticket);

        Assert.Equal(HttpStatusCode.BadRequest, outcome.StatusCode);
        AssertNothingExchangedOrWritten(second);
    }

    [Fact]
    public async Task Without_a_valid_bearer_token_complete_is_401_and_exchanges_nothing()
    {
        await using var host = await ServiceHost.StartAsync();
        var (_, ticket) = await TicketAsync(host);
        using var request = new HttpRequestMessage(HttpMethod.Post, ServiceHost.CompletePath) { Content = JsonContent.Create(new { ticket }) };

        var outcome = await host.SendCompleteAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, outcome.StatusCode);
        AssertNothingExchangedOrWritten(host);
    }

    [Fact]
    public async Task Another_users_session_gets_403_nothing_exchanged_nothing_written_and_a_refusal_line()
    {
        await using var host = await ServiceHost.StartAsync();
        var (_, ticket) = await TicketAsync(host);
        var other = Guid.NewGuid();

        var outcome = await host.CompleteAsync(other, ticket);

        Assert.Equal(HttpStatusCode.Forbidden, outcome.StatusCode);
        Assert.Equal(CompleteEndpoint.OtherUser, outcome.Error);
        AssertNothingExchangedOrWritten(host);
        var line = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectRefused");
        Assert.Equal(other.ToString(), line.StructuredState!.Single(kv => kv.Key == "UserId").Value);
        Assert.Equal("other_user", line.StructuredState!.Single(kv => kv.Key == "Reason").Value);
    }

    [Fact]
    public async Task A_ticket_refused_to_another_user_is_dead_for_its_own_user_too_and_nothing_is_exchanged()
    {
        await using var host = await ServiceHost.StartAsync();
        var (user, ticket) = await TicketAsync(host, "owner@rebar.test");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.CompleteAsync(Guid.NewGuid(), ticket)).StatusCode);

        var outcome = await host.CompleteAsync(user, ticket);

        Assert.Equal(HttpStatusCode.Conflict, outcome.StatusCode);
        Assert.Equal(CallbackMessages.AlreadyUsed, outcome.Error);
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
        Assert.Null(host.Supabase.Row(FakeSupabase.TokensTable, user));
    }

    [Theory]
    [InlineData(500, 503)]
    [InlineData(429, 503)]
    [InlineData(400, 400)]
    public async Task RingCentral_unavailable_is_503_and_refusing_is_400(int tokenStatus, int expected)
    {
        await using var host = await ServiceHost.StartAsync();
        var (user, ticket) = await TicketAsync(host);
        host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(tokenStatus, FakeRingCentral.OAuthErrorBody("invalid_grant", "OAU-106", "x")));

        var outcome = await host.CompleteAsync(user, ticket);

        Assert.Equal((HttpStatusCode)expected, outcome.StatusCode);
        Assert.Contains(outcome.Error!, CompleteEndpoint.Messages);
        Assert.Equal(0, host.Supabase.RowCount(FakeSupabase.TokensTable));
    }

    [Fact]
    public async Task Supabase_unavailable_before_the_exchange_is_503_and_the_same_ticket_works_once_it_is_back()
    {
        await using var host = await ServiceHost.StartAsync();
        var (user, ticket) = await TicketAsync(host, "back@rebar.test");
        host.Supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute("ringcentral_oauth_claim")), new Fault(503, FakeSupabase.ErrorBody("XX000", "down"), Times: 3));

        var down = await host.CompleteAsync(user, ticket);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(CallbackMessages.SaveFailed, down.Error);
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token")); // the code is not spent

        var back = await host.CompleteAsync(user, ticket);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal("back@rebar.test", back.Email);
    }

    [Fact]
    public async Task Supabase_failing_the_save_is_503()
    {
        await using var host = await ServiceHost.StartAsync();
        var (user, ticket) = await TicketAsync(host);
        host.Supabase.Inject(FakeSupabase.Route("POST", FakeSupabase.RpcRoute("ringcentral_oauth_save")), new Fault(500, FakeSupabase.ErrorBody("XX000", "down")));

        var outcome = await host.CompleteAsync(user, ticket);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, outcome.StatusCode);
        Assert.Equal(CallbackMessages.SaveFailed, outcome.Error);
        Assert.Equal([host.RingCentral.Issued.Single().RefreshToken], host.RingCentral.Revoked);
    }

    [Fact]
    public async Task More_than_the_per_user_limit_of_claims_is_429_with_retry_after_nothing_sent_and_other_users_are_not_affected()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        for (var i = 0; i < ConnectFlow.PermitsPerWindow; i++)
        {
            var (_, ticket) = await TicketAsync(host, user: user);
            host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(400, FakeRingCentral.OAuthErrorBody("invalid_grant", "OAU-106", "x"), Times: 1));
            Assert.Equal(HttpStatusCode.BadRequest, (await host.CompleteAsync(user, ticket)).StatusCode);
        }

        var exchanges = host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();
        var (_, oneMore) = await TicketAsync(host, user: user);
        var limited = await host.CompleteAsync(user, oneMore);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(CompleteEndpoint.TooManyAttempts, limited.Error);
        Assert.InRange(limited.RetryAfter!.Value, TimeSpan.FromSeconds(1), ConnectFlow.Window);
        Assert.Equal(exchanges, host.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count()); // nothing sent to RingCentral
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectRateLimited");

        var (other, ticketOfOther) = await TicketAsync(host);
        Assert.Equal(HttpStatusCode.OK, (await host.CompleteAsync(other, ticketOfOther)).StatusCode);
    }

    [Fact]
    public async Task The_per_user_limit_holds_across_instances_sharing_the_database()
    {
        await using var a = await ServiceHost.StartAsync();
        var b = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["OAuth:StateKey"] = a.StateKey, ["OAuth:CallbackUrl"] = a.CallbackUrl },
            ringCentral: a.RingCentral, supabase: a.Supabase);
        try
        {
            var user = Guid.NewGuid();
            for (var i = 0; i < ConnectFlow.PermitsPerWindow; i++)
            {
                var (_, ticket) = await TicketAsync(a, user: user);
                a.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(400, FakeRingCentral.OAuthErrorBody("invalid_grant", "OAU-106", "x"), Times: 1));
                Assert.Equal(HttpStatusCode.BadRequest, (await (i % 2 == 0 ? a : b).CompleteAsync(user, ticket)).StatusCode);
            }

            var (_, oneMore) = await TicketAsync(a, user: user);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await b.CompleteAsync(user, oneMore)).StatusCode);
        }
        finally
        {
            b.Client.Dispose();
            await b.App.StopAsync();
            await b.App.DisposeAsync();
        }
    }

    [Fact]
    public async Task Refusals_and_rate_limits_are_counted_with_fixed_tags()
    {
        await using var host = await ServiceHost.StartAsync();
        using var outcomes = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            host.App.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            RingCentralOAuthFunctions.Monitoring.Telemetry.MeterName, "ringcentral.connect.outcomes");
        var (_, ticket) = await TicketAsync(host);
        Assert.Equal(HttpStatusCode.Forbidden, (await host.CompleteAsync(Guid.NewGuid(), ticket)).StatusCode);
        var user = Guid.NewGuid();
        await host.CompleteAsync(user, "junk");
        for (var i = 0; i <= ConnectFlow.PermitsPerWindow; i++)
        {
            var (_, flow) = await TicketAsync(host, user: user);
            host.RingCentral.Inject(FakeRingCentral.TokenRoute, new Fault(400, FakeRingCentral.OAuthErrorBody("invalid_grant", "OAU-106", "x"), Times: 1));
            await host.CompleteAsync(user, flow);
        }

        var tags = outcomes.GetMeasurementSnapshot().Select(m => ((string?)m.Tags["outcome"], (string?)m.Tags["reason"])).ToList();
        Assert.Single(tags, t => t == ("refused", "other_user"));
        Assert.Single(tags, t => t == ("rate_limited", "none"));
        Assert.Single(tags, t => t == ("failed", "ticket_malformed"));
        Assert.Equal(ConnectFlow.PermitsPerWindow, tags.Count(t => t == ("failed", "exchange_token_rejected")));
    }

    [Fact]
    public async Task A_chunked_body_without_content_length_is_read_after_the_size_gate()
    {
        await using var host = await ServiceHost.StartAsync();
        var (user, ticket) = await TicketAsync(host, "chunked@rebar.test");
        using var request = host.Authorized(HttpMethod.Post, ServiceHost.CompletePath, host.Supabase.MintAccessToken(user));
        request.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"ticket":"{{ticket}}"}""")));
        request.Headers.TransferEncodingChunked = true;

        var outcome = await host.SendCompleteAsync(request);

        Assert.Equal(HttpStatusCode.OK, outcome.StatusCode);
        Assert.Equal("chunked@rebar.test", outcome.Email);
    }
}
