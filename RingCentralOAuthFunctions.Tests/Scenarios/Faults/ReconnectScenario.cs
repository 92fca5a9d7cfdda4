using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Testing;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// A user who connected once successfully (the rows "as before"), then starts a second connection while an upstream
/// is failing. Knows what "untouched" and "nothing half-done" mean for that user.
/// </summary>
public sealed class ReconnectScenario : IAsyncDisposable
{
    /// <summary>The popup's Callback and the opener's Complete must be answered within this, whatever hangs upstream.</summary>
    public static readonly TimeSpan CallbackBound = TimeSpan.FromSeconds(20);

    public const string FirstEmail = "first@rebar.test";
    public const string SecondEmail = "second@rebar.test";

    private ReconnectScenario(ServiceHost host, Guid user, JsonObject tokensBefore, JsonObject connectionBefore, IssuedTokens first)
    {
        Host = host;
        User = user;
        TokensBefore = tokensBefore;
        ConnectionBefore = connectionBefore;
        First = first;
    }

    public ServiceHost Host { get; }
    public Guid User { get; }
    public JsonObject TokensBefore { get; }
    public JsonObject ConnectionBefore { get; }
    public IssuedTokens First { get; }

    /// <summary>A host and one user connected through the full flow; with <paramref name="connectFirst"/> false the user has no rows yet.</summary>
    public static async Task<ReconnectScenario> StartAsync(bool connectFirst = true, Action<WebApplicationBuilder>? configure = null)
    {
        var host = await ServiceHost.StartAsync(configure: configure);
        var user = Guid.NewGuid();
        if (!connectFirst) return new ReconnectScenario(host, user, null!, null!, null!);

        Assert.Equal("success", (await host.ConnectAsync(user, FirstEmail)).Status);
        return new ReconnectScenario(host, user,
            host.Supabase.Row(FakeSupabase.TokensTable, user)!, host.Supabase.Row(FakeSupabase.ConnectionsTable, user)!,
            Assert.Single(host.RingCentral.Issued));
    }

    /// <summary>The second connection: authorize as the same user, then time the callback and Complete together.</summary>
    public async Task<(ConnectOutcome Outcome, TimeSpan Elapsed)> ReconnectAsync()
    {
        var callbackUrl = await Host.AuthorizeAsync(await Host.GetAuthUrlAsync(User, SecondEmail));
        var clock = Stopwatch.StartNew();
        var callback = await Host.CallbackAsync(callbackUrl);
        Assert.Equal("success", callback.Status); // the callback itself calls nothing upstream
        var complete = await Host.CompleteAsync(User, callback.Ticket, SecondEmail);
        return (new ConnectOutcome(callback, complete), clock.Elapsed);
    }

    /// <summary>Every column the ERP reads is as it was before the failed attempt (<c>updated_at</c> is the database trigger's).</summary>
    public void AssertRowsAsBefore()
    {
        AssertSameRow(TokensBefore, Host.Supabase.Row(FakeSupabase.TokensTable, User));
        AssertSameRow(ConnectionBefore, Host.Supabase.Row(FakeSupabase.ConnectionsTable, User));
        Assert.Equal(1, Host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(1, Host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
    }

    public void AssertNoRows()
    {
        Assert.Null(Host.Supabase.Row(FakeSupabase.TokensTable, User));
        Assert.Null(Host.Supabase.Row(FakeSupabase.ConnectionsTable, User));
    }

    private static void AssertSameRow(JsonObject before, JsonObject? after)
    {
        Assert.NotNull(after);
        before = before.DeepClone().AsObject();
        after = after.DeepClone().AsObject();
        before.Remove("updated_at");
        after.Remove("updated_at");
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    /// <summary>
    /// Nothing half-done: every refresh token RingCentral issued is either the one a row holds or revoked, never both,
    /// and the first connection's token was not revoked (it is still in use).
    /// </summary>
    public void AssertNoOrphanedTokens()
    {
        var stored = (string?)Host.Supabase.Row(FakeSupabase.TokensTable, User)?["refresh_token"];
        foreach (var issued in Host.RingCentral.Issued)
        {
            var revoked = Host.RingCentral.Revoked.Contains(issued.RefreshToken);
            Assert.True(revoked ^ (issued.RefreshToken == stored), $"token issued for {issued.Email}: revoked {revoked}, stored {issued.RefreshToken == stored}");
        }

        if (First is not null) Assert.DoesNotContain(First.RefreshToken, Host.RingCentral.Revoked);
    }

    /// <summary>The one ConnectFailed line of the second attempt, as structured fields.</summary>
    public IReadOnlyDictionary<string, string?> ConnectFailedLine() =>
        Assert.Single(Host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectFailed").StructuredState!
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    public IReadOnlyList<FakeLogRecord> LogsNamed(string eventName) => Host.Logs.GetSnapshot().Where(r => r.Id.Name == eventName).ToList();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
