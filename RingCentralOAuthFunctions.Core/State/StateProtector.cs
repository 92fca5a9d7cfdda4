using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RingCentralOAuthFunctions.Protocol;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// Seals <see cref="OAuthState"/> with AES-256-GCM so the callback needs no server-side session and the state
/// can be neither read nor forged nor altered. Layout, then base64url:
/// <c>kind(1) | key id(4) | nonce(12) | ciphertext | tag(16)</c> (<see cref="SealedEnvelope"/>, shared with the
/// Complete ticket under another kind and context); the kind and key id are authenticated as associated data. The callback therefore trusts only what it sealed itself, within 10 minutes.
/// </summary>
public sealed class StateProtector(TimeProvider time)
{
    /// <summary>Longest state the callback will even try to open (a sealed state is about 230 characters).</summary>
    public const int MaxEncodedLength = 1024;

    internal static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);
    internal const long MaxUnixSeconds = 253_402_300_799; // DateTimeOffset.MaxValue

    public string Seal(Guid userId, string codeVerifier, StateKeyRing keys)
    {
        var now = time.GetUtcNow();
        var payload = new Payload
        {
            UserId = userId,
            CodeVerifier = codeVerifier,
            FlowId = OAuthState.NewFlowId(),
            Purpose = OAuthState.RingCentralPurpose,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.Add(OAuthState.Lifetime).ToUnixTimeSeconds(),
        };
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(payload, StateJson.Default.Payload);
        try
        {
            return SealedEnvelope.Seal(SealedEnvelope.StateKind, plaintext, keys);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public StateRejection TryUnseal(string? encoded, StateKeyRing keys, out OAuthState? state)
    {
        state = null;
        var opened = SealedEnvelope.TryOpenJson(encoded, MaxEncodedLength, SealedEnvelope.StateKind, keys, StateJson.Default.Payload, out var payload);
        if (opened != StateRejection.None) return opened;

        if (payload is null || payload.UserId == Guid.Empty || !Pkce.IsWellFormedVerifier(payload.CodeVerifier)
            || !OAuthState.IsWellFormedFlowId(payload.FlowId))
            return StateRejection.Malformed;
        if (payload.Purpose != OAuthState.RingCentralPurpose) return StateRejection.WrongPurpose;

        if (payload.IssuedAt is < 0 or > MaxUnixSeconds || payload.ExpiresAt is < 0 or > MaxUnixSeconds) return StateRejection.Malformed;

        var now = time.GetUtcNow();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(payload.IssuedAt);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
        if (issuedAt > now + ClockSkew) return StateRejection.NotYetValid;
        if (now >= expiresAt || expiresAt - issuedAt > OAuthState.Lifetime) return StateRejection.Expired;

        state = new OAuthState(payload.UserId, payload.CodeVerifier!, payload.Purpose, issuedAt, expiresAt, payload.FlowId!);
        return StateRejection.None;
    }

    internal sealed class Payload
    {
        [JsonPropertyName("u")] public Guid UserId { get; set; }
        [JsonPropertyName("v")] public string? CodeVerifier { get; set; }
        [JsonPropertyName("f")] public string? FlowId { get; set; }
        [JsonPropertyName("p")] public string? Purpose { get; set; }
        [JsonPropertyName("iat")] public long IssuedAt { get; set; }
        [JsonPropertyName("exp")] public long ExpiresAt { get; set; }
    }
}

[JsonSerializable(typeof(StateProtector.Payload))]
internal sealed partial class StateJson : JsonSerializerContext;
