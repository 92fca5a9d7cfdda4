using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Load;

/// <summary>
/// Many users connecting at the same moment against one host: every flow succeeds, and afterwards each user's rows
/// hold exactly the tokens RingCentral issued for that user (no lost, crossed or duplicated writes).
/// </summary>
public sealed class ConcurrentConnectTests
{
    private const int Users = 200;

    [Fact]
    public async Task Two_hundred_simultaneous_connections_each_store_exactly_their_own_tokens()
    {
        await using var host = await ServiceHost.StartAsync();
        var users = Enumerable.Range(0, Users).Select(i => (Id: Guid.NewGuid(), Email: $"user{i:D3}@rebar.test")).ToList();

        var outcomes = await Task.WhenAll(users.Select(u => Task.Run(() => host.ConnectAsync(u.Id, u.Email))));

        Assert.All(outcomes, o => Assert.Equal("success", o.Status));
        Assert.Equal(users.Select(u => u.Email), outcomes.Select(o => o.Email));
        Assert.Equal(Users, host.RingCentral.Issued.Count);
        var issuedByEmail = host.RingCentral.Issued.ToDictionary(t => t.Email); // throws on a duplicate email
        Assert.Equal(Users, host.Supabase.RowCount(FakeSupabase.TokensTable));
        Assert.Equal(Users, host.Supabase.RowCount(FakeSupabase.ConnectionsTable));
        foreach (var (id, email) in users)
        {
            var issued = issuedByEmail[email];
            var tokens = host.Supabase.Row(FakeSupabase.TokensTable, id)!;
            Assert.Equal(issued.RefreshToken, (string?)tokens["refresh_token"]);
            Assert.Equal(issued.AccessToken, (string?)tokens["access_token"]);
            Assert.Equal(email, (string?)tokens["rc_email"]);
            var connection = host.Supabase.Row(FakeSupabase.ConnectionsTable, id)!;
            Assert.Equal("connected", (string?)connection["status"]);
            Assert.Equal(email, (string?)connection["config"]!["rc_email"]);
        }

        Assert.Empty(host.RingCentral.Revoked);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
    }
}
