using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.State;

/// <summary>The current <see cref="StateKeyRing"/> from the <c>OAuth:StateKey</c> secret, parsed once per distinct value (so a rotated key is picked up).</summary>
public sealed class StateKeySource(ISecretSource secrets)
{
    private (string Setting, StateKeyRing Ring)? _cached;

    public async ValueTask<StateKeyRing> GetAsync(CancellationToken cancellationToken)
    {
        var setting = (await secrets.GetAsync(AppSecret.StateKey, cancellationToken)).Require(AppSecret.StateKey);
        var cached = _cached;
        if (cached is { } c && c.Setting == setting) return c.Ring;
        if (!StateKeyRing.TryParse(setting, out var ring)) throw new SecretUnavailableException(AppSecret.StateKey, "malformed");
        _cached = (setting, ring);
        return ring;
    }
}
