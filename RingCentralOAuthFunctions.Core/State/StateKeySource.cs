using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// The current <see cref="StateKeyRing"/> from the <c>OAuth:StateKey</c> secret, parsed once per distinct value (so a
/// rotated key is picked up). A malformed or weak ring (<see cref="StateKeyRing.Weaknesses"/>) is never handed out.
/// </summary>
public sealed class StateKeySource(ISecretSource secrets)
{
    /// <summary>Immutable, replaced whole, so a reader never sees a setting paired with another setting's ring.</summary>
    private sealed record Parsed(string Setting, StateKeyRing Ring);

    private Parsed? _cached;

    public async ValueTask<StateKeyRing> GetAsync(CancellationToken cancellationToken)
    {
        var setting = (await secrets.GetAsync(AppSecret.StateKey, cancellationToken)).Require(AppSecret.StateKey);
        if (Volatile.Read(ref _cached) is { } c && c.Setting == setting) return c.Ring;
        if (!StateKeyRing.TryParse(setting, out var ring)) throw new SecretUnavailableException(AppSecret.StateKey, "malformed");
        // A guessable or repeated key is refused like a missing one: nothing is sealed or opened with it (Health names it).
        if (ring.Weaknesses() is [var weakness, ..]) throw new SecretUnavailableException(AppSecret.StateKey, weakness);
        Volatile.Write(ref _cached, new Parsed(setting, ring));
        return ring;
    }
}
