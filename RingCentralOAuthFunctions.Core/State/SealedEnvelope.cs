using System.Buffers.Text;
using System.Security.Cryptography;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// The AES-256-GCM envelope shared by the <c>state</c> and the Complete <c>ticket</c>, with the same key ring:
/// <c>kind(1) | key id(4) | nonce(12) | ciphertext | tag(16)</c>, then base64url. The kind byte and key id are
/// authenticated as associated data together with a context string of that kind, so a state is never opened as a
/// ticket nor a ticket as a state: the kind byte says so up front, and a kind byte changed to match fails the tag.
/// </summary>
internal static class SealedEnvelope
{
    public const byte StateKind = 1;
    public const byte TicketKind = 2;

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + StateKeyRing.KeyIdSize;

    private static readonly byte[] StateContext = "ringcentral-oauth-functions/state/v1"u8.ToArray();
    private static readonly byte[] TicketContext = "ringcentral-oauth-functions/ticket/v1"u8.ToArray();

    public static string Seal(byte kind, ReadOnlySpan<byte> plaintext, StateKeyRing keys)
    {
        var key = keys.Current;
        var sealedBytes = new byte[HeaderSize + NonceSize + plaintext.Length + TagSize];
        sealedBytes[0] = kind;
        key.Id.CopyTo(sealedBytes, 1);
        var nonce = sealedBytes.AsSpan(HeaderSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);

        using var aes = new AesGcm(key.Material, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(HeaderSize + NonceSize, plaintext.Length),
            sealedBytes.AsSpan(sealedBytes.Length - TagSize), AssociatedData(kind, sealedBytes.AsSpan(0, HeaderSize)));
        return Base64Url.EncodeToString(sealedBytes);
    }

    /// <summary>Opens an envelope of <paramref name="kind"/>; the caller zeroes <paramref name="plaintext"/> after use.</summary>
    public static StateRejection TryOpen(string? encoded, int maxEncodedLength, byte kind, StateKeyRing keys, out byte[]? plaintext)
    {
        plaintext = null;
        if (string.IsNullOrEmpty(encoded)) return StateRejection.Missing;
        if (encoded.Length > maxEncodedLength || !Base64Url.IsValid(encoded)) return StateRejection.Malformed;

        var sealedBytes = Base64Url.DecodeFromChars(encoded);
        if (sealedBytes.Length < HeaderSize + NonceSize + TagSize + 2) return StateRejection.Malformed;
        if (sealedBytes[0] != kind)
            return sealedBytes[0] is StateKind or TicketKind ? StateRejection.WrongPurpose : StateRejection.Malformed;

        var key = keys.Find(sealedBytes.AsSpan(1, StateKeyRing.KeyIdSize));
        if (key is null) return StateRejection.UnknownKey;

        var cipherLength = sealedBytes.Length - HeaderSize - NonceSize - TagSize;
        var opened = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key.Material, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(HeaderSize, NonceSize), sealedBytes.AsSpan(HeaderSize + NonceSize, cipherLength),
                sealedBytes.AsSpan(sealedBytes.Length - TagSize), opened, AssociatedData(kind, sealedBytes.AsSpan(0, HeaderSize)));
        }
        catch (AuthenticationTagMismatchException)
        {
            return StateRejection.Tampered;
        }

        plaintext = opened;
        return StateRejection.None;
    }

    private static byte[] AssociatedData(byte kind, ReadOnlySpan<byte> header) =>
        [.. kind == TicketKind ? TicketContext : StateContext, .. header];

    /// <summary>Opens an envelope of <paramref name="kind"/> and reads its JSON payload; the plaintext is wiped either way.</summary>
    public static StateRejection TryOpenJson<T>(string? encoded, int maxEncodedLength, byte kind, StateKeyRing keys,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> json, out T? payload) where T : class
    {
        payload = null;
        var opened = TryOpen(encoded, maxEncodedLength, kind, keys, out var plaintext);
        if (opened != StateRejection.None) return opened;
        try
        {
            payload = System.Text.Json.JsonSerializer.Deserialize(plaintext!, json);
            return StateRejection.None;
        }
        catch (System.Text.Json.JsonException)
        {
            return StateRejection.Malformed;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
