using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;

namespace RingCentralOAuthFunctions.Secrets;

/// <summary>
/// Secrets from Azure Key Vault, cached in memory and re-read every <see cref="RefreshInterval"/> so a rotated
/// secret is picked up without a restart and Key Vault is not called per request.
/// <list type="bullet">
/// <item>A request that finds a cached value never waits for the vault: when the value is due, one background
/// re-read starts and the cached value is served until it lands (a vault that answers at once is used at once).</item>
/// <item>Only a secret never read yet makes its first callers wait, for that one shared read.</item>
/// <item>When a read fails (for any reason: unreachable, DNS, timeout, 403, the SDK's <see cref="AggregateException"/>
/// after its retries, a credential that cannot get a token), the value read earlier keeps serving and the vault is
/// asked again after <see cref="FirstBackoff"/> (after a 429: Retry-After, else doubling up to <see cref="MaxBackoff"/>),
/// so a vault that comes back is used without a restart. A secret that was never read throws
/// <see cref="SecretUnavailableException"/>, which the endpoints answer with 503 and Health names.</item>
/// <item>A failing vault is logged once when the episode starts and once when it ends, not per request or per retry.</item>
/// </list>
/// </summary>
public sealed class KeyVaultSecretSource(SecretClient client, TimeProvider time, ILogger<KeyVaultSecretSource> logger, UpstreamCalls? upstreamCalls = null) : ISecretSource
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(30);
    /// <summary>A secret not (yet) in the vault is asked for again soon, so setting it after deployment needs no restart.</summary>
    public static readonly TimeSpan MissingRecheckInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Slot> _slots = new();

    public ValueTask<SecretValue> GetAsync(AppSecret secret, CancellationToken cancellationToken)
    {
        var slot = _slots.GetOrAdd(secret.KeyVaultName, _ => new Slot());
        var entry = slot.Entry;
        var now = time.GetUtcNow();
        if (entry is not null && (now < entry.RefreshAt || now < entry.RetryAt))
            return Answer(secret, entry);

        var read = slot.StartRead(() => ReadAsync(secret, slot));
        if (read.IsCompletedSuccessfully) return Answer(secret, read.Result);
        if (entry is { HasValue: true }) return ValueTask.FromResult(entry.Value);
        return WaitForFirstReadAsync(secret, read, cancellationToken);
    }

    private static async ValueTask<SecretValue> WaitForFirstReadAsync(AppSecret secret, Task<Entry> read, CancellationToken cancellationToken) =>
        await Answer(secret, await read.WaitAsync(cancellationToken));

    private static ValueTask<SecretValue> Answer(AppSecret secret, Entry entry) =>
        entry.HasValue ? ValueTask.FromResult(entry.Value) : ValueTask.FromException<SecretValue>(new SecretUnavailableException(secret, entry.Failure ?? "unreadable"));

    /// <summary>Why a read failed, as Health says it: the vault is named as the cause, with how it failed (never a message).</summary>
    private static string Unreadable(Exception ex) => Status(ex) is > 0
        ? $"unreadable: Key Vault answered {UpstreamFailure.Describe(ex)}{(Status(ex) is 401 or 403 ? " (check the app identity's Key Vault Secrets User role)" : "")}"
        : ex is Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException
            ? $"unreadable: no token for Key Vault ({ex.GetType().Name}: check the app's managed identity)"
            : $"unreadable: Key Vault did not answer ({UpstreamFailure.Describe(ex)})";

    /// <summary>One read of the vault, shared by every caller and never cancelled by one: the client's own short timeout bounds it. Never throws.</summary>
    private async Task<Entry> ReadAsync(AppSecret secret, Slot slot)
    {
        var previous = slot.Entry;
        Entry next;
        // One span and duration point per read (named by the secret's name, never carrying its value).
        using var call = upstreamCalls?.Start(Upstreams.KeyVault, "GET secret " + secret.KeyVaultName);
        try
        {
            var response = await client.GetSecretAsync(secret.KeyVaultName, cancellationToken: CancellationToken.None);
            call?.Answered(200, UpstreamCalls.Ok);
            next = new Entry(new SecretValue(response.Value.Value), true, time.GetUtcNow() + RefreshInterval, DateTimeOffset.MinValue, TimeSpan.Zero, false);
            Log.SecretRefreshed(logger, secret.DisplayName);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            call?.Answered(404, UpstreamCalls.Rejected);
            next = new Entry(SecretValue.Missing, true, time.GetUtcNow() + MissingRecheckInterval, DateTimeOffset.MinValue, TimeSpan.Zero, false);
        }
        catch (Exception ex)
        {
            var status = Status(ex);
            if (status is { } answered and > 0) call?.Answered(answered, UpstreamCalls.Classify((System.Net.HttpStatusCode)answered));
            else call?.Failed(ex, false);
            var backoff = status == 429 ? RetryAfter(ex) ?? Next(previous?.Backoff) : FirstBackoff;
            var now = time.GetUtcNow();
            var kept = previous is { HasValue: true } ? previous : null;
            if (previous is not { Failing: true })
                Log.SecretUnavailable(logger, secret.DisplayName, UpstreamFailure.Describe(ex),
                    kept is null ? "requests that need it answer 503 until it can be read" : "serving the value read earlier");
            next = new Entry(kept?.Value ?? SecretValue.Missing, kept is not null, now + backoff, now + backoff, backoff, true, Unreadable(ex));
        }

        if (previous is { Failing: true } && !next.Failing) Log.SecretReadable(logger, secret.DisplayName);
        slot.Entry = next;
        return next;
    }

    private static int? Status(Exception ex) => ex switch
    {
        RequestFailedException r => r.Status,
        AggregateException a => a.InnerExceptions.OfType<RequestFailedException>().LastOrDefault()?.Status,
        _ => null,
    };

    private static TimeSpan Next(TimeSpan? previous) =>
        previous is { } p && p > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(p.Ticks * 2, MaxBackoff.Ticks)) : FirstBackoff;

    private static TimeSpan? RetryAfter(Exception ex)
    {
        var response = (ex as RequestFailedException ?? (ex as AggregateException)?.InnerExceptions.OfType<RequestFailedException>().LastOrDefault())?.GetRawResponse();
        if (response is not null && response.Headers.TryGetValue("Retry-After", out var header) && int.TryParse(header, out var seconds) && seconds > 0)
            return TimeSpan.FromSeconds(Math.Min(seconds, MaxBackoff.TotalSeconds));
        return null;
    }

    /// <summary>What is known of one secret. Immutable; a new one replaces the old whole.</summary>
    private sealed record Entry(SecretValue Value, bool HasValue, DateTimeOffset RefreshAt, DateTimeOffset RetryAt, TimeSpan Backoff, bool Failing, string? Failure = null);

    /// <summary>One secret's current entry and its read in flight, if any (at most one at a time).</summary>
    private sealed class Slot
    {
        private readonly Lock _lock = new();
        private Entry? _entry;
        private Task<Entry>? _read;

        public Entry? Entry
        {
            get => Volatile.Read(ref _entry);
            set => Volatile.Write(ref _entry, value);
        }

        public Task<Entry> StartRead(Func<Task<Entry>> read)
        {
            lock (_lock)
            {
                if (_read is { IsCompleted: false } running) return running;
                var task = read();
                _read = task;
                return task;
            }
        }
    }
}
