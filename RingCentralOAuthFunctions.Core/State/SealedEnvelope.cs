using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// The one sealed envelope behind the OAuth <c>state</c> (<see cref="StateProtector"/>) and the Complete
/// <c>ticket</c> (<see cref="TicketProtector"/>), both with the same key ring. It owns every check the two share:
/// the kind, the key, the tag, the payload's purpose, its iat/exp (within <see cref="ClockSkew"/>) and its lifetime.
/// The wrappers only say what their payload holds and when it is well formed.
/// <para>
/// Byte layout (the one place it is written down), then base64url:
/// <c>kind(1) | key id(4) | nonce(12) | ciphertext | tag(16)</c>. AES-256-GCM; the kind byte (1 state, 2 ticket)
/// and the key id are authenticated as associated data after a context string of that kind, so a state is never
/// opened as a ticket nor a ticket as a state: the kind byte says so up front, and a kind byte changed to match
/// fails the tag. The plaintext is the kind's JSON payload (<see cref="SealedPayload"/>).
/// </para>
/// </summary>
internal static class SealedEnvelope
{
    public const byte StateKind = 1;
    public const byte TicketKind = 2;

    /// <summary>How far ahead of this clock an issuer's clock may be.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);
    private const long MaxUnixSeconds = 253_402_300_799; // DateTimeOffset.MaxValue

    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + StateKeyRing.KeyIdSize;

    private static readonly byte[] StateContext = "ringcentral-oauth-functions/state/v1"u8.ToArray();
    private static readonly byte[] TicketContext = "ringcentral-oauth-functions/ticket/v1"u8.ToArray();

    /// <summary>What sets one kind of envelope apart: its kind byte, longest encoding, purpose and lifetime.</summary>
    public sealed record Kind(byte Id, int MaxEncodedLength, string Purpose, TimeSpan Lifetime);

    /// <summary>Stamps <paramref name="payload"/> with the kind's purpose, iat and exp, and seals it.</summary>
    public static string Seal<T>(Kind kind, T payload, JsonTypeInfo<T> json, StateKeyRing keys, TimeProvider time) where T : SealedPayload
    {
        var now = time.GetUtcNow();
        payload.Purpose = kind.Purpose;
        payload.IssuedAt = now.ToUnixTimeSeconds();
        payload.ExpiresAt = now.Add(kind.Lifetime).ToUnixTimeSeconds();
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(payload, json);
        try
        {
            return SealBytes(kind.Id, plaintext, keys);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// Opens an envelope of <paramref name="kind"/> and checks its payload: well formed (the wrapper's own rule), of
    /// the kind's purpose, issued no later than now plus the skew, not expired, and living no longer than the kind's
    /// lifetime. The plaintext is wiped either way.
    /// </summary>
    public static EnvelopeRejection TryOpen<T>(string? encoded, Kind kind, JsonTypeInfo<T> json, StateKeyRing keys, TimeProvider time,
        out T? payload) where T : SealedPayload
    {
        payload = null;
        var opened = TryOpenBytes(encoded, kind, keys, out var plaintext);
        if (opened != EnvelopeRejection.None) return opened;
        T? read;
        try
        {
            read = JsonSerializer.Deserialize(plaintext!, json);
        }
        catch (JsonException)
        {
            return EnvelopeRejection.Malformed;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        if (read is null || !read.IsWellFormed()) return EnvelopeRejection.Malformed;
        if (read.Purpose != kind.Purpose) return EnvelopeRejection.WrongPurpose;
        if (read.IssuedAt is < 0 or > MaxUnixSeconds || read.ExpiresAt is < 0 or > MaxUnixSeconds) return EnvelopeRejection.Malformed;

        var now = time.GetUtcNow();
        if (read.IssuedAtTime > now + ClockSkew) return EnvelopeRejection.NotYetValid;
        if (now >= read.ExpiresAtTime || read.ExpiresAtTime - read.IssuedAtTime > kind.Lifetime) return EnvelopeRejection.Expired;

        payload = read;
        return EnvelopeRejection.None;
    }

    private static string SealBytes(byte kind, ReadOnlySpan<byte> plaintext, StateKeyRing keys)
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
    private static EnvelopeRejection TryOpenBytes(string? encoded, Kind kind, StateKeyRing keys, out byte[]? plaintext)
    {
        plaintext = null;
        if (string.IsNullOrEmpty(encoded)) return EnvelopeRejection.Missing;
        if (encoded.Length > kind.MaxEncodedLength || !Base64Url.IsValid(encoded)) return EnvelopeRejection.Malformed;

        var sealedBytes = Base64Url.DecodeFromChars(encoded);
        if (sealedBytes.Length < HeaderSize + NonceSize + TagSize + 2) return EnvelopeRejection.Malformed;
        if (sealedBytes[0] != kind.Id)
            return sealedBytes[0] is StateKind or TicketKind ? EnvelopeRejection.WrongPurpose : EnvelopeRejection.Malformed;

        var key = keys.Find(sealedBytes.AsSpan(1, StateKeyRing.KeyIdSize));
        if (key is null) return EnvelopeRejection.UnknownKey;

        var cipherLength = sealedBytes.Length - HeaderSize - NonceSize - TagSize;
        var opened = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key.Material, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(HeaderSize, NonceSize), sealedBytes.AsSpan(HeaderSize + NonceSize, cipherLength),
                sealedBytes.AsSpan(sealedBytes.Length - TagSize), opened, AssociatedData(kind.Id, sealedBytes.AsSpan(0, HeaderSize)));
        }
        catch (AuthenticationTagMismatchException)
        {
            return EnvelopeRejection.Tampered;
        }

        plaintext = opened;
        return EnvelopeRejection.None;
    }

    private static byte[] AssociatedData(byte kind, ReadOnlySpan<byte> header) =>
        [.. kind == TicketKind ? TicketContext : StateContext, .. header];
}

/// <summary>
/// The JSON fields every sealed payload carries, written after the kind's own fields: purpose (<c>p</c>), issued at
/// (<c>iat</c>) and expires at (<c>exp</c>), in Unix seconds. <see cref="SealedEnvelope"/> sets and checks them.
/// </summary>
internal abstract class SealedPayload
{
    [JsonPropertyName("p"), JsonPropertyOrder(1)] public string? Purpose { get; set; }
    [JsonPropertyName("iat"), JsonPropertyOrder(2)] public long IssuedAt { get; set; }
    [JsonPropertyName("exp"), JsonPropertyOrder(3)] public long ExpiresAt { get; set; }

    [JsonIgnore] public DateTimeOffset IssuedAtTime => DateTimeOffset.FromUnixTimeSeconds(IssuedAt);
    [JsonIgnore] public DateTimeOffset ExpiresAtTime => DateTimeOffset.FromUnixTimeSeconds(ExpiresAt);

    /// <summary>The kind's own fields are present and of the right shape (checked before the purpose).</summary>
    public abstract bool IsWellFormed();
}
