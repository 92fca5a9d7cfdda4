using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Protocol;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Supabase;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Races;

/// <summary>
/// One ERP user and the real <see cref="ConnectFlow"/> (from the local host's service provider, wired to the fakes),
/// driven directly so that several flows of that user can run at once. Interleavings are forced with
/// <see cref="FakeSupabase.Hold"/> on the database calls (claim, save, disconnect), never by timing. Each flow's RingCentral account is told apart by its email.
/// </summary>
public sealed class RaceScenario : IAsyncDisposable
{
    /// <summary>Bound on any single wait: a flow that should finish but does not fails the test instead of hanging it.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public const string FirstEmail = "first@race.test";

    private RaceScenario(ServiceHost host, Guid user, ConnectFlow flow)
    {
        Host = host;
        User = user;
        Flow = flow;
    }

    public ServiceHost Host { get; }
    public Guid User { get; }
    public ConnectFlow Flow { get; }

    /// <summary>A host and one user; with <paramref name="connectFirst"/> the user is already connected (as <see cref="FirstEmail"/>).</summary>
    public static async Task<RaceScenario> StartAsync(bool connectFirst = true, Func<IServiceProvider, IRingCentralClient, IRingCentralClient>? wrapRingCentral = null)
    {
        var host = await ServiceHost.StartAsync();
        var services = host.App.Services;
        var flow = wrapRingCentral is null
            ? services.GetRequiredService<ConnectFlow>()
            : new ConnectFlow(wrapRingCentral(services, services.GetRequiredService<IRingCentralClient>()), services.GetRequiredService<IFlowStore>(),
                services.GetRequiredService<OwedRevocations>(), services.GetRequiredService<Telemetry>(), services.GetRequiredService<ILogger<ConnectFlow>>());
        var scenario = new RaceScenario(host, Guid.NewGuid(), flow);
        if (connectFirst) Assert.True((await scenario.ConnectAsync(FirstEmail).WaitAsync(Bound)).Succeeded);
        return scenario;
    }

    /// <summary>Starts a connect flow (a new flow id) as if the user had signed in to RingCentral as <paramref name="email"/>.</summary>
    public Task<ConnectResult> ConnectAsync(string email, CancellationToken cancellationToken = default)
    {
        var verifier = Pkce.CreateVerifier();
        var code = Host.RingCentral.IssueCode(Host.CallbackUrl, Pkce.ChallengeFor(verifier), email);
        var marker = OncePerFlow.MarkerOf(Guid.NewGuid().ToString("N"));
        return Task.Run(() => Flow.CompleteAsync(User, code, verifier, marker, cancellationToken));
    }

    /// <summary>Starts a Disconnect through HTTP, as the ERP front end sends it.</summary>
    public Task<HttpStatusCode> DisconnectAsync() => Task.Run(async () =>
    {
        using var response = await Host.Client.SendAsync(Host.Authorized(HttpMethod.Post, "/api/ringcentral/disconnect", Host.Supabase.MintAccessToken(User)));
        return response.StatusCode;
    });

    public string RefreshTokenOf(string email) => Host.RingCentral.Issued.Single(i => i.Email == email).RefreshToken;

    public string? StoredRefreshToken => (string?)Host.Supabase.Row(FakeSupabase.TokensTable, User)?["refresh_token"];

    public string? StoredLabel => (string?)Host.Supabase.Row(FakeSupabase.ConnectionsTable, User)?["config"]?["rc_email"];

    public const string SaveRoute = "rpc/ringcentral_oauth_save", ClaimRoute = "rpc/ringcentral_oauth_claim", DisconnectRoute = "rpc/ringcentral_oauth_disconnect";

    /// <summary>Holds the next save whose body names <paramref name="email"/> (the flow of that account).</summary>
    public RequestHold HoldSaveOf(string email) =>
        Host.Supabase.Hold("POST", SaveRoute, (_, body) => body.Contains(email, StringComparison.Ordinal));

    /// <summary>Runs one round of the owed-revocation retry now, as the background service would (no grace).</summary>
    public Task RetryOwedRevocationsAsync() =>
        Host.App.Services.GetRequiredService<OwedRevocations>().RetryDueAsync(TimeSpan.Zero, CancellationToken.None);

    /// <summary>
    /// The invariant: exactly one refresh token RingCentral issued is still valid, and it is the one the token row holds
    /// (none at all when there is no row). Replaced tokens are revoked off the critical path, so this waits for them (bounded).
    /// </summary>
    public async Task AssertOnlyTheStoredTokenIsValidAsync()
    {
        var deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline && !Settled()) await Task.Delay(20);

        var stored = StoredRefreshToken;
        Assert.Equal(stored is null ? [] : [stored], Host.RingCentral.ValidRefreshTokens());
    }

    private bool Settled()
    {
        var stored = StoredRefreshToken;
        return Host.RingCentral.ValidRefreshTokens().SequenceEqual(stored is null ? [] : [stored]);
    }

    public IReadOnlyList<FakeLogRecord> LogsNamed(string eventName) => Host.Logs.GetSnapshot().Where(r => r.Id.Name == eventName).ToList();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

public static class TaskBounds
{
    public static Task<T> Bounded<T>(this Task<T> task) => task.WaitAsync(RaceScenario.Bound);
    public static Task Bounded(this Task task) => task.WaitAsync(RaceScenario.Bound);
}
