namespace RingCentralOAuthFunctions.Secrets;

/// <summary>
/// Stands in when the secret store itself is misconfigured (e.g. <c>KeyVault:Uri</c> is not a URL): every secret is
/// unavailable for <paramref name="reason"/>, so the service stays up, answers 503 and Health names the setting,
/// instead of the host failing to start.
/// </summary>
public sealed class UnavailableSecretSource(string reason) : ISecretSource
{
    public ValueTask<SecretValue> GetAsync(AppSecret secret, CancellationToken cancellationToken) =>
        ValueTask.FromException<SecretValue>(new SecretUnavailableException(secret, reason));
}
