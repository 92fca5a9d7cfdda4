namespace RingCentralOAuthFunctions.Tests.Scenarios.Faults;

/// <summary>
/// The real clock moved forward on demand. Only <see cref="GetUtcNow"/> is shifted: timers, delays and timestamps stay
/// real, so HTTP timeouts and retry back-offs (which also take the app's TimeProvider) behave as in production.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
}
