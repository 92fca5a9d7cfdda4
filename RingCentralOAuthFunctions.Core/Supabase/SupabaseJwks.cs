using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// The Supabase project's signing keys from <c>/auth/v1/.well-known/jwks.json</c>, cached for at most
/// 10 minutes. An unknown <c>kid</c> triggers one refetch (at most every 30 s, so random kids cannot
/// hammer Supabase). When a refetch fails, keys fetched earlier keep working.
/// </summary>
public sealed class SupabaseJwks(IHttpClientFactory httpClients, IOptions<SupabaseOptions> options, TimeProvider time, ILogger<SupabaseJwks> logger)
{
    public const string HttpClientName = "Supabase.Jwks";
    public const string Path = "/auth/v1/.well-known/jwks.json";
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan MinRefetchInterval = TimeSpan.FromSeconds(30);
    /// <summary>While the endpoint fails, fetches are attempted at most this often (the others get the cached keys, or 503).</summary>
    public static readonly TimeSpan FailedFetchBackoff = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<SecurityKey>? _keys;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastForcedRefresh = DateTimeOffset.MinValue;

    /// <summary>The keys whose <c>kid</c> matches; empty when none does. Throws <see cref="JwksUnavailableException"/> when no keys were ever fetched.</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(string? keyId, CancellationToken cancellationToken)
    {
        var keys = _keys;
        var now = time.GetUtcNow();
        if (keys is null || now - _fetchedAt >= CacheLifetime)
            keys = await RefreshAsync(force: false, cancellationToken);

        var matching = Match(keys, keyId);
        if (matching.Count == 0 && time.GetUtcNow() - _lastForcedRefresh >= MinRefetchInterval)
            matching = Match(await RefreshAsync(force: true, cancellationToken), keyId);
        return matching;
    }

    private static List<SecurityKey> Match(IReadOnlyList<SecurityKey> keys, string? keyId) =>
        keys.Where(k => keyId is null || string.Equals(k.KeyId, keyId, StringComparison.Ordinal)).ToList();

    private async Task<IReadOnlyList<SecurityKey>> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            // Another caller refreshed while this one waited.
            if (_keys is not null && (force ? now - _lastForcedRefresh < MinRefetchInterval : now - _fetchedAt < CacheLifetime))
                return _keys;
            if (now - _lastAttempt < FailedFetchBackoff && _fetchedAt < _lastAttempt)
                return _keys ?? throw new JwksUnavailableException();

            _lastAttempt = now;
            if (force) _lastForcedRefresh = now;
            try
            {
                var url = options.Value.Url!.TrimEnd('/') + Path;
                using var response = await httpClients.CreateClient(HttpClientName).GetAsync(url, cancellationToken);
                response.EnsureSuccessStatusCode();
                var set = new JsonWebKeySet(await response.Content.ReadAsStringAsync(cancellationToken));
                _keys = [.. set.GetSigningKeys()];
                _fetchedAt = now;
                return _keys;
            }
            catch (Exception ex) when (ex is HttpRequestException or ArgumentException or Polly.ExecutionRejectedException
                                       or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                var failure = ex is ArgumentException ? "not a JWKS document" : UpstreamFailure.Describe(ex);
                if (_keys is not null)
                {
                    Log.JwksUnavailable(logger, failure, "keeping the keys fetched earlier");
                    return _keys;
                }

                Log.JwksUnavailable(logger, failure, "no keys cached: user tokens cannot be checked (503)");
                throw new JwksUnavailableException();
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}

public sealed class JwksUnavailableException() : Exception("The Supabase signing keys could not be fetched.");
