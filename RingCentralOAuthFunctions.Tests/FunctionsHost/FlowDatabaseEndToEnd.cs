using System.Net;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Database;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

public sealed class FlowDatabaseOnFunctionsApp(FunctionsAppFixture fixture) : FlowDatabaseEndToEnd<FunctionsAppFixture>(fixture);

public sealed class FlowDatabaseOnLocalHost(LocalHostFixture fixture) : FlowDatabaseEndToEnd<LocalHostFixture>(fixture);

/// <summary>
/// Issue 18 end to end, on both hosts: the database, not an instance's memory, decides that each flow's code is sent
/// once, that a refused ticket is dead, that a Disconnect is whole, and that every revocation owed is done even when
/// the instance that owed it stops.
/// </summary>
public abstract class FlowDatabaseEndToEnd<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IServiceFixture
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private IServiceUnderTest Service => fixture.Service;

    private static string EmailOf(Guid user) => $"u{user:N}"[..12] + "@rebar.test";

    private async Task<string> TicketAsync(Guid user) =>
        (await Service.CallbackAsync(await Service.AuthorizeAsync(await Service.GetAuthUrlAsync(user, EmailOf(user))))).Ticket!;

    private int Exchanges => Service.RingCentral.RequestsTo("POST", "/restapi/oauth/token").Count();

    private string? StoredRefreshToken(Guid user) => (string?)Service.Supabase.Row(FakeSupabase.TokensTable, user)?["refresh_token"];

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task One_ticket_posted_to_two_instances_at_the_same_moment_is_exchanged_once_and_the_stored_token_stays_valid()
    {
        await using var other = await OtherInstance.StartAsync(Service);
        var user = Guid.NewGuid();
        var ticket = await TicketAsync(user);
        var exchanges = Exchanges;

        var answers = await Task.WhenAll(Service.CompleteAsync(user, ticket, EmailOf(user)), other.CompleteAsync(user, ticket, EmailOf(user)));

        Assert.Equal(exchanges + 1, Exchanges);
        Assert.Empty(Service.RingCentral.ReplayedCodes);
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK && a.Email == EmailOf(user));
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.Contains(StoredRefreshToken(user), Service.RingCentral.ValidRefreshTokens());
    }

    [Fact]
    public async Task A_replay_after_the_erp_set_the_row_to_error_sends_nothing_and_is_409()
    {
        var user = Guid.NewGuid();
        var ticket = await TicketAsync(user);
        Assert.Equal(HttpStatusCode.OK, (await Service.CompleteAsync(user, ticket, EmailOf(user))).StatusCode);
        await new FakeRpc(Service.Supabase).SetConnectionStatusAsync(user, "error", "Token expired — please reconnect"); // ringcentral-sync
        var exchanges = Exchanges;

        var again = await Service.CompleteAsync(user, ticket, EmailOf(user));

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(CallbackMessages.AlreadyUsed, again.Error);
        Assert.Equal(exchanges, Exchanges);
        Assert.Contains(StoredRefreshToken(user), Service.RingCentral.ValidRefreshTokens());
    }

    [Fact]
    public async Task A_ticket_refused_to_another_user_and_then_posted_by_its_named_user_is_409_and_nothing_is_exchanged()
    {
        var (hank, ivy) = (Guid.NewGuid(), Guid.NewGuid());
        var ticket = await TicketAsync(hank);
        var exchanges = Exchanges;

        Assert.Equal(HttpStatusCode.Forbidden, (await Service.CompleteAsync(ivy, ticket, EmailOf(ivy))).StatusCode);
        var hanks = await Service.CompleteAsync(hank, ticket, EmailOf(hank));

        Assert.Equal(HttpStatusCode.Conflict, hanks.StatusCode);
        Assert.Equal(exchanges, Exchanges);
        Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, hank));
        Assert.Null(Service.Supabase.Row(FakeSupabase.ConnectionsTable, hank));
    }

    [Fact]
    public async Task A_disconnect_whose_client_leaves_during_the_revoke_still_ends_with_no_row_and_the_token_revoked()
    {
        var user = Guid.NewGuid();
        Assert.Equal("success", (await Service.ConnectAsync(user, EmailOf(user))).Status);
        var stored = StoredRefreshToken(user)!;
        Service.RingCentral.AddedDelay = TimeSpan.FromSeconds(2);
        try
        {
            using var leave = new CancellationTokenSource();
            var revokes = Service.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke").Count();
            using var request = ServiceFlows.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", Service.Supabase.MintAccessToken(user));
            var disconnect = Service.Client.SendAsync(request, leave.Token);
            // The client leaves once the revoke is on its way (the rows are already gone by then).
            await EventuallyAsync(() => Service.RingCentral.RequestsTo("POST", "/restapi/oauth/revoke").Count() > revokes || disconnect.IsCompleted, "the revoke started");
            await leave.CancelAsync();
            try
            {
                (await disconnect).Dispose();
            }
            catch (OperationCanceledException)
            {
            }

            // Never a revoked token in a connected row: the rows are gone, and the revoke finishes on its own.
            Assert.Null(Service.Supabase.Row(FakeSupabase.TokensTable, user));
            Assert.Null(Service.Supabase.Row(FakeSupabase.ConnectionsTable, user));
            await EventuallyAsync(() => Service.RingCentral.Revoked.Contains(stored), "the stored token was revoked");
        }
        finally
        {
            Service.RingCentral.AddedDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task An_instance_stopped_right_after_answering_leaves_its_owed_revocation_to_the_next_instance()
    {
        var user = Guid.NewGuid();
        Assert.Equal("success", (await Service.ConnectAsync(user, EmailOf(user))).Status);
        var displaced = StoredRefreshToken(user)!;
        var ticket = await TicketAsync(user);

        // The instance that answers cannot revoke (RingCentral's revoke fails), and is stopped right after answering.
        Service.RingCentral.Inject(FakeRingCentral.RevokeRoute, new Fault(503));
        try
        {
            await using (var answering = await OtherInstance.StartAsync(Service))
                Assert.Equal(HttpStatusCode.OK, (await answering.CompleteAsync(user, ticket, EmailOf(user))).StatusCode);
            Assert.Contains(displaced, Service.Supabase.OwedRevocations());
        }
        finally
        {
            Service.RingCentral.ClearFaults();
        }

        // The next instance to run takes the owed revocation from the database.
        await using var next = await OtherInstance.StartAsync(Service, new Dictionary<string, string?>
        {
            ["Revocations:RetryIntervalSeconds"] = "1",
            ["Revocations:GraceSeconds"] = "0",
        });
        await EventuallyAsync(() => Service.RingCentral.Revoked.Contains(displaced), "the displaced token was revoked by the next instance");
        await EventuallyAsync(() => !Service.Supabase.OwedRevocations().Contains(displaced), "the owed revocation was marked done");
        Assert.Contains(StoredRefreshToken(user), Service.RingCentral.ValidRefreshTokens());
        Assert.DoesNotContain(displaced, Service.RingCentral.ValidRefreshTokens());
    }
}
