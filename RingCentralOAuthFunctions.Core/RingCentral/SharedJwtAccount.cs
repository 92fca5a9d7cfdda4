using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.RingCentral;

/// <summary>What the shared-JWT lookup needs of RingCentral (implemented by <see cref="RingCentralClient"/>).</summary>
public interface IRingCentralSharedJwtClient
{
    Task<(RingCentralAccessToken? Token, RingCentralFailure? Failure)> RequestJwtBearerTokenAsync(SharedJwtCredential credential, CancellationToken cancellationToken);
    Task<(string? Email, int? HttpStatus)> GetContactEmailAsync(string accessToken, CancellationToken cancellationToken);
}

/// <summary>The ERP's shared RingCentral JWT credential: the JWT and its own client. <see cref="ToString"/> never prints them.</summary>
public sealed record SharedJwtCredential(string Jwt, string ClientId, string ClientSecret)
{
    public override string ToString() => "SharedJwtCredential";
}

/// <summary>An access token without a refresh token (the JWT grant's: the JWT itself is the way to a new one).</summary>
public sealed record RingCentralAccessToken(string AccessToken, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"RingCentralAccessToken(expires {ExpiresAt:O})";
}

/// <summary>The shared credential's extension: its <c>contact.email</c> and a fresh access token for it.</summary>
public sealed record SharedJwtExtension(string Email, RingCentralAccessToken Token, SharedJwtCredential Credential)
{
    public override string ToString() => "SharedJwtExtension";
}

/// <summary>
/// Which RingCentral extension the ERP's shared JWT credential (<c>RingCentral:SharedJwt</c>, <c>SharedJwtClientId</c>,
/// <c>SharedJwtClientSecret</c>) belongs to: a JWT-bearer grant, then the extension's <c>contact.email</c>.
/// <list type="bullet">
/// <item>Without all three settings nothing is asked (<see cref="GetCredentialAsync"/> is null): no RingCentral call.</item>
/// <item>The answer is the same for every user, so it is kept in memory for <see cref="CacheLifetime"/> (never longer
/// than the access token has left minus <see cref="ExpiryMargin"/>): Status calls from many users without a token row
/// do not each cost a grant (RingCentral rate-limits its token endpoint). One lookup runs at a time.</item>
/// <item>A failure (RingCentral refusing the credential, unavailable, or an extension without an email) is kept for
/// <see cref="RetryAfterFailure"/>, and logged once when it starts (and once when the credential works again),
/// never per request.</item>
/// </list>
/// </summary>
public sealed class SharedJwtAccount(IRingCentralSharedJwtClient ringCentral, ISecretSource secrets, TimeProvider time, ILogger<SharedJwtAccount> logger)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);
    /// <summary>The whole lookup (grant and extension) within a Status request.</summary>
    public static readonly TimeSpan LookupBudget = TimeSpan.FromSeconds(8);

    /// <summary>One lookup's result: <see cref="Extension"/> on success, else the failure's reason. Immutable.</summary>
    private sealed record Entry(SharedJwtCredential Credential, SharedJwtExtension? Extension, string? FailureReason, DateTimeOffset ValidUntil);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Entry? _entry;
    private string? _failingReason;

    /// <summary>The credential when all three settings are set, else null (then Status asks RingCentral nothing).</summary>
    public async Task<SharedJwtCredential?> GetCredentialAsync(CancellationToken cancellationToken)
    {
        var jwt = await secrets.GetAsync(AppSecret.SharedJwt, cancellationToken);
        var clientId = await secrets.GetAsync(AppSecret.SharedJwtClientId, cancellationToken);
        var clientSecret = await secrets.GetAsync(AppSecret.SharedJwtClientSecret, cancellationToken);
        return jwt.IsMissing || clientId.IsMissing || clientSecret.IsMissing
            ? null
            : new SharedJwtCredential(jwt.Value!.Trim(), clientId.Value!.Trim(), clientSecret.Value!.Trim());
    }

    /// <summary>The credential's extension, or null when RingCentral refused it, did not answer, or the extension has no email.</summary>
    public async Task<SharedJwtExtension?> GetExtensionAsync(SharedJwtCredential credential, CancellationToken cancellationToken)
    {
        if (Current(credential) is { } cached) return cached.Extension;

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Current(credential) is { } fresh) return fresh.Extension;
            var entry = await LookUpAsync(credential, cancellationToken);
            Volatile.Write(ref _entry, entry);
            return entry.Extension;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Entry? Current(SharedJwtCredential credential) =>
        Volatile.Read(ref _entry) is { } entry && entry.Credential == credential && time.GetUtcNow() < entry.ValidUntil ? entry : null;

    private async Task<Entry> LookUpAsync(SharedJwtCredential credential, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(LookupBudget);
        string reason;
        int? httpStatus;
        string? providerError = null;
        try
        {
            var (token, failure) = await ringCentral.RequestJwtBearerTokenAsync(credential, budget.Token);
            if (token is null)
            {
                (reason, httpStatus, providerError) = (failure?.Reason ?? RingCentralFailure.BadResponse, failure?.HttpStatus, failure?.ErrorCode);
            }
            else
            {
                var (email, status) = await ringCentral.GetContactEmailAsync(token.AccessToken, budget.Token);
                if (email is not null)
                {
                    Succeeded();
                    var now = time.GetUtcNow();
                    var until = token.ExpiresAt - ExpiryMargin < now + CacheLifetime ? token.ExpiresAt - ExpiryMargin : now + CacheLifetime;
                    return new Entry(credential, new SharedJwtExtension(email, token, credential), null, until);
                }

                (reason, httpStatus) = (status is >= 200 and < 300 ? NoEmail : ExtensionUnavailable, status);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            (reason, httpStatus) = (RingCentralFailure.Unavailable, null);
        }

        Failed(reason, httpStatus, providerError);
        return new Entry(credential, null, reason, time.GetUtcNow() + RetryAfterFailure);
    }

    public const string NoEmail = "extension_without_email";
    public const string ExtensionUnavailable = "extension_lookup_failed";

    /// <summary>Logged when an episode starts or its reason changes; never per request (lookups run one at a time).</summary>
    private void Failed(string reason, int? httpStatus, string? providerError)
    {
        if (_failingReason == reason) return;
        _failingReason = reason;
        Log.SharedJwtUnavailable(logger, reason, httpStatus, providerError);
    }

    private void Succeeded()
    {
        if (_failingReason is null) return;
        _failingReason = null;
        Log.SharedJwtRecovered(logger);
    }
}
