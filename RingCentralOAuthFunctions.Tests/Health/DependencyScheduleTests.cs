using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Health;

/// <summary>
/// When Health's dependency checks run with the default <c>Health:CheckDependenciesAtStart=true</c>: the first round
/// <see cref="DependencyChecks.FirstRoundDelay"/> after the host starts, not during its start; before it, Health answers
/// on the settings alone and says the dependencies are pending; a probe during the first round waits for it.
/// (The tests' usual hosts turn the option off: there the first probe starts the round and waits, see HealthTests.)
/// </summary>
public sealed class DependencyScheduleTests
{
    private static readonly Dictionary<string, string?> AtStart = new() { ["Health:CheckDependenciesAtStart"] = "true" };

    [Fact]
    public async Task Before_the_first_round_health_answers_on_the_settings_and_calls_no_upstream()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.Inject(FakeSupabase.JwksRoute, new Fault(503));
        await using var host = await ServiceHost.StartAsync(AtStart, b => b.Services.AddSingleton<TimeProvider>(time), supabase: supabase);

        var (status, checks) = await HealthAsync(host);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(new Dictionary<string, string> { ["dependencies"] = "pending" }, checks);
        Assert.Empty(host.RingCentral.Requests);
        Assert.Empty(supabase.RequestsTo("GET", "/auth/v1/.well-known/jwks.json"));

        // The first round, once its delay has passed, finds the failing JWKS.
        await AdvanceUntilFirstRoundAsync(host, time);
        (status, checks) = await HealthAsync(host);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("failing", checks[DependencyChecks.SupabaseJwksCheck]);
        Assert.Equal("ok", checks[DependencyChecks.RingCentralCheck]);
    }

    [Fact]
    public async Task A_probe_during_the_first_round_waits_for_its_result()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ringCentral = await FakeRingCentral.StartNewAsync();
        await using var host = await ServiceHost.StartAsync(AtStart, b => b.Services.AddSingleton<TimeProvider>(time), ringCentral: ringCentral);
        ringCentral.AddedDelay = TimeSpan.FromMilliseconds(400);

        // Move the clock until the round has called RingCentral (which now answers slowly), then probe.
        for (var i = 0; i < 200 && ringCentral.Requests.IsEmpty; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(25);
        }

        Assert.NotEmpty(ringCentral.Requests);
        var (status, checks) = await HealthAsync(host);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", checks[DependencyChecks.RingCentralCheck]);
    }

    /// <summary>Moves the fake clock a second at a time (the delay's timer is set on a background thread) until a round has run.</summary>
    private static async Task AdvanceUntilFirstRoundAsync(ServiceHost host, FakeTimeProvider time)
    {
        var checks = host.App.Services.GetRequiredService<DependencyChecks>();
        for (var i = 0; i < 200 && await checks.GetLatestAsync(default) is null; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(25);
        }

        Assert.NotNull(await checks.GetLatestAsync(default));
    }

    private static async Task<(HttpStatusCode Status, Dictionary<string, string> Checks)> HealthAsync(ServiceHost host)
    {
        using var response = await host.Client.GetAsync("/api/health/details");
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var checks = root.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString()!);
        return (response.StatusCode, checks);
    }
}
