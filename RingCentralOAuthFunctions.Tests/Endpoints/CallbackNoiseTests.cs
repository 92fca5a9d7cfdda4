using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Endpoints;

/// <summary>
/// Issue 20 items 1 and 5: anonymous garbage on the Callback is counted as <c>bad_request</c> (never as a failed
/// connect, which the alert counts) and logged as a count per minute; a provider error with a valid state names the
/// user; no ConnectFailed line ends in a space.
/// </summary>
public sealed class CallbackNoiseTests
{
    private static MetricCollector<long> Outcomes(ServiceHost host) => new(
        host.App.Services.GetRequiredService<IMeterFactory>(), Telemetry.MeterName, "ringcentral.connect.outcomes");

    [Fact]
    public async Task Forty_garbage_callbacks_are_bad_requests_not_failed_connects_and_two_log_lines()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await ServiceHost.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(time));
        using var outcomes = Outcomes(host);

        for (var i = 0; i < 40; i++)
            Assert.Equal(CallbackMessages.InvalidState, (await host.CallbackAsync($"/api/ringcentral/callback?state=x{i}&code=y")).Message);
        time.Advance(TimeSpan.FromSeconds(61));

        var measured = outcomes.GetMeasurementSnapshot().Select(m => (string?)m.Tags["outcome"]).ToList();
        Assert.Equal(40, measured.Count(o => o == "bad_request"));
        Assert.DoesNotContain("failed", measured);

        var records = host.Logs.GetSnapshot();
        Assert.DoesNotContain(records, r => r.Id.Name == "ConnectFailed");
        Assert.Single(records, r => r.Id.Name == "CallbackRejected");
        var count = Assert.Single(records, r => r.Id.Name == "CallbackRejectedCount");
        Assert.Contains("39 more", count.Message);
        Assert.All(records.Where(r => r.Id.Name?.StartsWith("CallbackRejected", StringComparison.Ordinal) == true),
            r => Assert.True(r.Level < Microsoft.Extensions.Logging.LogLevel.Warning, r.Message));

        // The next minute starts a new window: its first one is logged again.
        await host.CallbackAsync("/api/ringcentral/callback?state=again&code=y");
        Assert.Equal(2, host.Logs.GetSnapshot().Count(r => r.Id.Name == "CallbackRejected"));
    }

    [Fact]
    public async Task A_provider_error_with_garbage_state_is_a_bad_request_too()
    {
        await using var host = await ServiceHost.StartAsync();
        using var outcomes = Outcomes(host);

        var outcome = await host.CallbackAsync("/api/ringcentral/callback?error=access_denied&state=garbage");

        Assert.Equal("error", outcome.Status);
        Assert.Equal(["bad_request"], outcomes.GetMeasurementSnapshot().Select(m => (string?)m.Tags["outcome"]));
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectFailed");
    }

    [Fact]
    public async Task A_deny_with_a_valid_state_is_logged_with_the_user_and_counted_as_failed()
    {
        await using var host = await ServiceHost.StartAsync();
        using var outcomes = Outcomes(host);
        var user = Guid.NewGuid();
        var authUrl = new Uri(await host.GetAuthUrlAsync(user));
        var state = QueryHelpers.ParseQuery(authUrl.Query)["state"].ToString();

        var outcome = await host.CallbackAsync($"/api/ringcentral/callback?error=access_denied&state={Uri.EscapeDataString(state)}");

        Assert.Equal(CallbackMessages.Cancelled, outcome.Message);
        var line = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "ConnectFailed");
        Assert.Contains($"for user {user}", line.Message);
        Assert.Contains("RingCentral error: access_denied", line.Message);
        Assert.Contains(outcomes.GetMeasurementSnapshot(), m => (string?)m.Tags["outcome"] == "failed" && (string?)m.Tags["reason"] == "provider_error");
    }

    [Fact]
    public async Task No_connect_failed_line_ends_in_white_space()
    {
        await using var host = await ServiceHost.StartAsync();
        var user = Guid.NewGuid();
        var authUrl = new Uri(await host.GetAuthUrlAsync(user));
        var state = QueryHelpers.ParseQuery(authUrl.Query)["state"].ToString();
        await host.CallbackAsync($"/api/ringcentral/callback?error=access_denied&state={Uri.EscapeDataString(state)}");
        await host.CallbackAsync($"/api/ringcentral/callback?state={Uri.EscapeDataString(state)}"); // no code
        await host.CompleteAsync(user, "not-a-ticket");

        var lines = host.Logs.GetSnapshot().Where(r => r.Id.Name == "ConnectFailed").Select(r => r.Message).ToList();
        Assert.True(lines.Count >= 3, string.Join("\n", lines));
        Assert.All(lines, l => Assert.Equal(l.TrimEnd(), l));
    }
}
