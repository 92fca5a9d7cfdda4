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
