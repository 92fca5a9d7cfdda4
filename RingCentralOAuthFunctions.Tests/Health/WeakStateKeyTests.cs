using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Health;

/// <summary>
/// Issue 20 item 2: a state key anyone could guess (too few distinct byte values) or a ring with a key twice is named
/// by Health, and the service neither seals nor opens states and tickets with it: 503, as for a missing key.
/// </summary>
public sealed class WeakStateKeyTests
{
    public static TheoryData<string> WeakRings => new()
    {
        Convert.ToBase64String(new byte[32]),
        $"{ServiceHost.NewStateKey()},{Convert.ToBase64String(new byte[32])}",
        string.Join(',', Enumerable.Repeat(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), 2)),
    };

    [Theory]
    [MemberData(nameof(WeakRings))]
    public async Task The_service_refuses_to_seal_or_open_with_a_weak_ring_and_health_names_it(string ring)
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["OAuth:StateKey"] = ring });

        using var authUrl = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", host.Supabase.MintAccessToken(Guid.NewGuid())));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, authUrl.StatusCode);
        Assert.DoesNotContain("authUrl", await authUrl.Content.ReadAsStringAsync());

        var callback = await host.CallbackAsync("/api/ringcentral/callback?code=c&state=s");
        Assert.Equal(CallbackMessages.NotConfigured, callback.Message);

        using var health = await host.Client.GetAsync("/api/health");
        var text = await health.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var problem = Assert.Single(JsonDocument.Parse(text).RootElement.GetProperty("problems").EnumerateArray(),
            p => p.GetProperty("setting").GetString() == "OAuth:StateKey");
        Assert.Matches("weak|repeats", problem.GetProperty("problem").GetString()!);
        foreach (var key in ring.Split(',')) Assert.DoesNotContain(key, text);
    }

    [Fact]
    public async Task The_key_source_refuses_a_weak_ring_as_unavailable()
    {
        var source = new StateKeySource(new ConfigurationSecretSource(new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["OAuth:StateKey"] = Convert.ToBase64String(new byte[32]) }).Build()));
        var refused = await Assert.ThrowsAsync<SecretUnavailableException>(async () => await source.GetAsync(default));
        Assert.Contains("weak", refused.Reason);
    }
}
