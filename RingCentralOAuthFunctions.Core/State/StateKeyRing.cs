using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// The keys that seal <c>state</c>: <c>OAuth:StateKey</c> is one or more base64 32-byte keys, comma-separated,
/// the first sealing new states and every one opening them. Rotation with several instances (each re-reads the
/// secret on its own schedule, up to 30 minutes with Key Vault): (1) add the new key second, (2) after 30 minutes
/// move it first, (3) after another 30 minutes drop the old one. Each key's id is the first 4 bytes of its SHA-256, so no
/// key names need managing and the id reveals nothing about the key.
/// </summary>
public sealed class StateKeyRing
{
    public const int KeySize = 32;
    public const int KeyIdSize = 4;

    private StateKeyRing(IReadOnlyList<StateKey> keys) => Keys = keys;

    public IReadOnlyList<StateKey> Keys { get; }
    public StateKey Current => Keys[0];

    public StateKey? Find(ReadOnlySpan<byte> keyId)
    {
        foreach (var key in Keys)
            if (key.Id.AsSpan().SequenceEqual(keyId)) return key;
        return null;
    }

    /// <summary>Fewer distinct byte values than this in a 32-byte key means it was typed or derived, not drawn at random.</summary>
    public const int MinDistinctByteValues = 16;

    /// <summary>
    /// What makes this ring unsafe to seal or open with, by position (never by value): a key with fewer than
    /// <see cref="MinDistinctByteValues"/> distinct byte values (all zero, a repeated character: anyone who guesses it
    /// can seal states and tickets for any user), or a key that repeats an earlier one. 32 random bytes have about 30
    /// distinct values; fewer than 16 happens by chance with a probability far below 1e-20.
    /// </summary>
    public IReadOnlyList<string> Weaknesses()
    {
        var found = new List<string>();
        for (var i = 0; i < Keys.Count; i++)
        {
            var which = Keys.Count == 1 ? "the key" : $"key {i + 1} of {Keys.Count}";
            if (Keys[i].Material.Distinct().Count() < MinDistinctByteValues)
                found.Add($"weak: {which} has fewer than {MinDistinctByteValues} distinct byte values (use 32 random bytes: openssl rand -base64 32)");
            for (var j = 0; j < i; j++)
            {
                if (!CryptographicOperations.FixedTimeEquals(Keys[i].Material, Keys[j].Material)) continue;
                found.Add($"weak: {which} repeats key {j + 1} (each key in the ring must be different)");
                break;
            }
        }

        return found;
    }

    public static bool TryParse(string? setting, [NotNullWhen(true)] out StateKeyRing? ring)
    {
        ring = null;
        if (string.IsNullOrWhiteSpace(setting)) return false;
        var keys = new List<StateKey>();
        foreach (var part in setting.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bytes = new byte[KeySize + 3];
            if (!Convert.TryFromBase64String(part, bytes, out var written) || written != KeySize) return false;
            var key = bytes[..KeySize];
            keys.Add(new StateKey(SHA256.HashData(key)[..KeyIdSize], key));
        }

        if (keys.Count == 0) return false;
        ring = new StateKeyRing(keys);
        return true;
    }
}

public sealed record StateKey(byte[] Id, byte[] Material)
{
    public override string ToString() => $"StateKey {Convert.ToHexString(Id)}";
}
