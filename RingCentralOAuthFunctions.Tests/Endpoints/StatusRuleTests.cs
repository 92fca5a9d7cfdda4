using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Tests.Endpoints;

/// <summary>The edge function's sync-staleness rule and the <c>RingCentral:SyncStaleAfter</c> setting, without HTTP.</summary>
public sealed class StatusRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Twelve = TimeSpan.FromHours(12);

    private static ConnectionSnapshot Row(string status, TimeSpan? syncedAgo, string? error = null) =>
        new(status, syncedAgo is { } ago ? Now - ago : null, error, null, "v1");

    [Fact]
    public void A_sync_within_the_limit_is_connected() =>
        Assert.Equal(("connected", (string?)null), StatusEndpoint.Resolve(Row("connected", TimeSpan.FromHours(11)), Now, Twelve));

    [Fact]
    public void Exactly_at_the_limit_is_still_fresh_and_a_tick_past_it_is_stale()
    {
        Assert.Equal("connected", StatusEndpoint.Resolve(Row("connected", Twelve), Now, Twelve).Status);
        Assert.Equal(("error", "Sync has not run in over 12 hours"), StatusEndpoint.Resolve(Row("connected", Twelve + TimeSpan.FromTicks(1)), Now, Twelve));
    }

    [Fact]
    public void Missing_last_sync_at_and_a_missing_row_are_stale()
    {
        Assert.Equal(("error", "Sync has not run in over 12 hours"), StatusEndpoint.Resolve(Row("connected", null), Now, Twelve));
        Assert.Equal(("error", "Sync has not run in over 12 hours"), StatusEndpoint.Resolve(null, Now, Twelve));
    }

    [Fact]
    public void A_row_in_error_answers_its_own_message_fresh_or_stale()
    {
        Assert.Equal(("error", "Sync error: 500"), StatusEndpoint.Resolve(Row("error", TimeSpan.FromMinutes(5), "Sync error: 500"), Now, Twelve));
        Assert.Equal(("error", "Token expired — please reconnect"),
            StatusEndpoint.Resolve(Row("error", TimeSpan.FromDays(3), "Token expired — please reconnect"), Now, Twelve));
    }

    [Fact]
    public void A_row_in_error_without_a_message_gets_the_staleness_text()
    {
        Assert.Equal(("error", "Sync has not run in over 12 hours"), StatusEndpoint.Resolve(Row("error", TimeSpan.FromMinutes(5), " "), Now, Twelve));
    }

    [Fact]
    public void A_last_sync_in_the_future_is_fresh() =>
        Assert.Equal("connected", StatusEndpoint.Resolve(Row("connected", TimeSpan.FromHours(-2)), Now, Twelve).Status);

    [Theory]
    [InlineData(null, 12.0)]
    [InlineData("", 12.0)]
    [InlineData("12:00:00", 12.0)]
    [InlineData("06:00:00", 6.0)]
    [InlineData(" 1.00:00:00 ", 24.0)]
    [InlineData("00:30:00", 0.5)]
    public void The_setting_parses_as_a_timespan_and_defaults_to_12_hours(string? text, double hours) =>
        Assert.Equal(TimeSpan.FromHours(hours), SyncStaleness.Parse(text));

    [Theory]
    [InlineData("twelve hours")]
    [InlineData("00:00:00")]
    [InlineData("-01:00:00")]
    [InlineData("400.00:00:00")]
    public void A_malformed_zero_negative_or_absurd_setting_is_refused(string text) => Assert.Null(SyncStaleness.Parse(text));

    [Theory]
    [InlineData(12.0, "Sync has not run in over 12 hours")]
    [InlineData(6.0, "Sync has not run in over 6 hours")]
    [InlineData(1.0, "Sync has not run in over 1 hour")]
    [InlineData(1.5, "Sync has not run in over 1.5 hours")]
    [InlineData(48.0, "Sync has not run in over 48 hours")]
    public void The_message_follows_the_setting(double hours, string expected) =>
        Assert.Equal(expected, SyncStaleness.Message(TimeSpan.FromHours(hours)));

    [Fact]
    public void A_custom_limit_moves_the_rule_and_the_message()
    {
        var six = TimeSpan.FromHours(6);
        Assert.Equal("connected", StatusEndpoint.Resolve(Row("connected", TimeSpan.FromHours(5)), Now, six).Status);
        Assert.Equal(("error", "Sync has not run in over 6 hours"), StatusEndpoint.Resolve(Row("connected", TimeSpan.FromHours(7)), Now, six));
    }
}
