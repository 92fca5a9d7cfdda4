using System.Threading.RateLimiting;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// At most <see cref="PermitsPerWindow"/> Completes per user per <see cref="Window"/> (fixed window), because each
/// can cost a RingCentral token request and any signed-in user can mint tickets with junk codes. The count lives in
/// this instance's memory: with N instances a user gets up to N times the limit.
/// </summary>
public sealed class CompleteRateLimit : IAsyncDisposable
{
    public const int PermitsPerWindow = 10;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<Guid> _limiter = PartitionedRateLimiter.Create<Guid, Guid>(user =>
        RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = PermitsPerWindow,
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Takes one permit for <paramref name="userId"/>; when none is left, says how long until the window resets.</summary>
    public bool TryAcquire(Guid userId, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(userId);
        retryAfter = lease.IsAcquired ? TimeSpan.Zero
            : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Window;
        return lease.IsAcquired;
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}
