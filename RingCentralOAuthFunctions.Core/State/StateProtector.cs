using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// Seals <see cref="OAuthState"/> with AES-256-GCM so the callback needs no server-side session and the state
/// can be neither read nor forged nor altered. Layout, then base64url:
/// <c>version(1) | key id(4) | nonce(12) | ciphertext | tag(16)</c>; the version and key id are authenticated
/// as associated data. The callback therefore trusts only what it sealed itself, within 10 minutes.
/// </summary>
public sealed class StateProtector(TimeProvider time)
{
    /// <summary>Longest state the callback will even try to open (a sealed state is about 230 characters).</summary>
    public const int MaxEncodedLength = 1024;

    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int HeaderSize = 1 + StateKeyRing.KeyIdSize;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);
    private const long MaxUnixSeconds = 253_402_300_799; // DateTimeOffset.MaxValue
    private static readonly byte[] Context = "ringcentral-oauth-functions/state/v1"u8.ToArray();

    public string Seal(Guid userId, string codeVerifier, StateKeyRing keys)
    {
        var now = time.GetUtcNow();
        var payload = new Payload
        {
            UserId = userId,
            CodeVerifier = codeVerifier,
            Purpose = OAuthState.RingCentralPurpose,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.Add(OAuthState.Lifetime).ToUnixTimeSeconds(),
        };
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(payload, StateJson.Default.Payload);

        var key = keys.Current;
        var sealedBytes = new byte[HeaderSize + NonceSize + plaintext.Length + TagSize];
        sealedBytes[0] = Version;
        key.Id.CopyTo(sealedBytes, 1);
        var nonce = sealedBytes.AsSpan(HeaderSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);

        using var aes = new AesGcm(key.Material, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(HeaderSize + NonceSize, plaintext.Length),
            sealedBytes.AsSpan(sealedBytes.Length - TagSize), AssociatedData(sealedBytes.AsSpan(0, HeaderSize)));
        CryptographicOperations.ZeroMemory(plaintext);
        return Base64Url.EncodeToString(sealedBytes);
    }

    public StateRejection TryUnseal(string? encoded, StateKeyRing keys, out OAuthState? state)
    {
        state = null;
        if (string.IsNullOrEmpty(encoded)) return StateRejection.Missing;
        if (encoded.Length > MaxEncodedLength || !Base64Url.IsValid(encoded)) return StateRejection.Malformed;

        var sealedBytes = Base64Url.DecodeFromChars(encoded);
        if (sealedBytes.Length < HeaderSize + NonceSize + TagSize + 2 || sealedBytes[0] != Version)
            return StateRejection.Malformed;

        var key = keys.Find(sealedBytes.AsSpan(1, StateKeyRing.KeyIdSize));
        if (key is null) return StateRejection.UnknownKey;

        var cipherLength = sealedBytes.Length - HeaderSize - NonceSize - TagSize;
        var plaintext = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key.Material, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(HeaderSize, NonceSize), sealedBytes.AsSpan(HeaderSize + NonceSize, cipherLength),
                sealedBytes.AsSpan(sealedBytes.Length - TagSize), plaintext, AssociatedData(sealedBytes.AsSpan(0, HeaderSize)));
        }
        catch (AuthenticationTagMismatchException)
        {
            return StateRejection.Tampered;
        }

        Payload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(plaintext, StateJson.Default.Payload);
        }
        catch (JsonException)
        {
            return StateRejection.Malformed;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        if (payload is null || payload.UserId == Guid.Empty || !OAuth.Pkce.IsWellFormedVerifier(payload.CodeVerifier))
            return StateRejection.Malformed;
        if (payload.Purpose != OAuthState.RingCentralPurpose) return StateRejection.WrongPurpose;

        if (payload.IssuedAt is < 0 or > MaxUnixSeconds || payload.ExpiresAt is < 0 or > MaxUnixSeconds) return StateRejection.Malformed;

        var now = time.GetUtcNow();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(payload.IssuedAt);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
        if (issuedAt > now + ClockSkew) return StateRejection.NotYetValid;
        if (now >= expiresAt || expiresAt - issuedAt > OAuthState.Lifetime) return StateRejection.Expired;

        state = new OAuthState(payload.UserId, payload.CodeVerifier!, payload.Purpose, issuedAt, expiresAt);
        return StateRejection.None;
    }

    private static byte[] AssociatedData(ReadOnlySpan<byte> header) => [.. Context, .. header];

    internal sealed class Payload
    {
        [JsonPropertyName("u")] public Guid UserId { get; set; }
        [JsonPropertyName("v")] public string? CodeVerifier { get; set; }
        [JsonPropertyName("p")] public string? Purpose { get; set; }
        [JsonPropertyName("iat")] public long IssuedAt { get; set; }
        [JsonPropertyName("exp")] public long ExpiresAt { get; set; }
    }
}

[JsonSerializable(typeof(StateProtector.Payload))]
internal sealed partial class StateJson : JsonSerializerContext;
