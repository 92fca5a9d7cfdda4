using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions.Secrets;

/// <summary>
/// Secrets from Azure Key Vault, cached in memory and re-read every <see cref="RefreshInterval"/> so a rotated
/// secret is picked up without a restart and Key Vault is not called per request. When a re-read fails, the value
/// read earlier keeps serving; after a 429 the source waits (Retry-After, else doubling from 30 s up to 10 min)
/// before asking again. A secret that was never read throws <see cref="SecretUnavailableException"/>, which the
/// endpoints answer with 503 and Health names.
/// </summary>
public sealed class KeyVaultSecretSource(SecretClient client, TimeProvider time, ILogger<KeyVaultSecretSource> logger, UpstreamCalls? upstreamCalls = null) : ISecretSource
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(30);
    /// <summary>A secret not (yet) in the vault is asked for again soon, so setting it after deployment needs no restart.</summary>
    public static readonly TimeSpan MissingRecheckInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Entry> _entries = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();

    public async ValueTask<SecretValue> GetAsync(AppSecret secret, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(secret.KeyVaultName, out var entry) && entry.HasValue && now < entry.RefreshAt)
            return entry.Value;

        var gate = _gates.GetOrAdd(secret.KeyVaultName, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            now = time.GetUtcNow();
            if (_entries.TryGetValue(secret.KeyVaultName, out entry) && (entry.HasValue && now < entry.RefreshAt || now < entry.RetryAt))
                return entry.HasValue ? entry.Value : throw new SecretUnavailableException(secret, "unreadable (backing off)");
            return await ReadAsync(secret, entry, now, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<SecretValue> ReadAsync(AppSecret secret, Entry? previous, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One span and duration point per read (named by the secret's name, never carrying its value).
        using var call = upstreamCalls?.Start(Upstreams.KeyVault, "GET secret " + secret.KeyVaultName);
        try
        {
            var response = await client.GetSecretAsync(secret.KeyVaultName, cancellationToken: cancellationToken);
            call?.Answered(200, UpstreamCalls.Ok);
            var value = new SecretValue(response.Value.Value);
            _entries[secret.KeyVaultName] = new Entry(value, true, now + RefreshInterval, DateTimeOffset.MinValue, TimeSpan.Zero);
            Log.SecretRefreshed(logger, secret.DisplayName);
            return value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            call?.Answered(404, UpstreamCalls.Rejected);
            _entries[secret.KeyVaultName] = new Entry(SecretValue.Missing, true, now + MissingRecheckInterval, DateTimeOffset.MinValue, TimeSpan.Zero);
            return SecretValue.Missing;
        }
        catch (Exception ex) when (ex is RequestFailedException or Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException
                                       or HttpRequestException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var status = (ex as RequestFailedException)?.Status;
            if (status is { } answered and > 0) call?.Answered(answered, UpstreamCalls.Classify((System.Net.HttpStatusCode)answered));
            else call?.Failed(ex, cancellationToken.IsCancellationRequested);
            var backoff = status == 429
                ? RetryAfter(ex as RequestFailedException) ?? Next(previous?.Backoff)
                : FirstBackoff;
            Log.SecretUnavailable(logger, secret.DisplayName, status is { } s ? $"HTTP {s}" : ex.GetType().Name);

            var kept = previous is { HasValue: true } ? previous : null;
            _entries[secret.KeyVaultName] = new Entry(kept?.Value ?? SecretValue.Missing, kept is not null,
                now + backoff, now + backoff, backoff);
            return kept is not null ? kept.Value : throw new SecretUnavailableException(secret, "unreadable", ex);
        }
    }

    private static TimeSpan Next(TimeSpan? previous) =>
        previous is { } p && p > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(p.Ticks * 2, MaxBackoff.Ticks)) : FirstBackoff;

    private static TimeSpan? RetryAfter(RequestFailedException? ex)
    {
        var response = ex?.GetRawResponse();
        if (response is not null && response.Headers.TryGetValue("Retry-After", out var header) && int.TryParse(header, out var seconds) && seconds > 0)
            return TimeSpan.FromSeconds(Math.Min(seconds, MaxBackoff.TotalSeconds));
        return null;
    }

    private sealed record Entry(SecretValue Value, bool HasValue, DateTimeOffset RefreshAt, DateTimeOffset RetryAt, TimeSpan Backoff);
}
