using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RingCentralOAuthFunctions.Protocol;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// Seals and opens <see cref="CompleteTicket"/>s: the same AES-256-GCM envelope and key ring (with rotation) as the
/// state, under its own kind byte, associated-data context and purpose, so neither is ever accepted as the other.
/// A ticket is good for <see cref="CompleteTicket.Lifetime"/> after the Callback sealed it.
/// </summary>
public sealed class TicketProtector(TimeProvider time)
{
    /// <summary>Longest ticket Complete will try to open: one with the longest code is about 3,950 characters.</summary>
    public const int MaxEncodedLength = 4096;

    public string Seal(OAuthState state, string code, StateKeyRing keys)
    {
        if (code is not { Length: > 0 and <= CompleteTicket.MaxCodeLength })
            throw new ArgumentException("The code must be 1 to 2048 characters.", nameof(code));
        var now = time.GetUtcNow();
        var payload = new Payload
        {
            UserId = state.UserId,
            Code = Encoding.UTF8.GetBytes(code),
            CodeVerifier = state.CodeVerifier,
            FlowId = state.FlowId,
            Purpose = CompleteTicket.Purpose,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.Add(CompleteTicket.Lifetime).ToUnixTimeSeconds(),
        };
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(payload, TicketJson.Default.Payload);
        try
        {
            return SealedEnvelope.Seal(SealedEnvelope.TicketKind, plaintext, keys);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            CryptographicOperations.ZeroMemory(payload.Code);
        }
    }

    public StateRejection TryOpen(string? encoded, StateKeyRing keys, out CompleteTicket? ticket)
    {
        ticket = null;
        var opened = SealedEnvelope.TryOpenJson(encoded, MaxEncodedLength, SealedEnvelope.TicketKind, keys, TicketJson.Default.Payload, out var payload);
        if (opened != StateRejection.None) return opened;

        var code = payload?.Code is { Length: > 0 and <= CompleteTicket.MaxCodeLength } bytes && bytes.All(b => b is > (byte)' ' and < 0x7f)
            ? Encoding.ASCII.GetString(bytes)
            : null;
        if (payload is null || payload.UserId == Guid.Empty || code is null || !Pkce.IsWellFormedVerifier(payload.CodeVerifier)
            || !OAuthState.IsWellFormedFlowId(payload.FlowId))
            return StateRejection.Malformed;
        if (payload.Purpose != CompleteTicket.Purpose) return StateRejection.WrongPurpose;
        if (payload.IssuedAt is < 0 or > StateProtector.MaxUnixSeconds || payload.ExpiresAt is < 0 or > StateProtector.MaxUnixSeconds)
            return StateRejection.Malformed;

        var now = time.GetUtcNow();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(payload.IssuedAt);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
        if (issuedAt > now + StateProtector.ClockSkew) return StateRejection.NotYetValid;
        if (now >= expiresAt || expiresAt - issuedAt > CompleteTicket.Lifetime) return StateRejection.Expired;

        ticket = new CompleteTicket(payload.UserId, code, payload.CodeVerifier!, payload.FlowId!, issuedAt, expiresAt);
        return StateRejection.None;
    }

    internal sealed class Payload
    {
        [JsonPropertyName("u")] public Guid UserId { get; set; }
        [JsonPropertyName("c")] public byte[]? Code { get; set; }
        [JsonPropertyName("v")] public string? CodeVerifier { get; set; }
        [JsonPropertyName("f")] public string? FlowId { get; set; }
        [JsonPropertyName("p")] public string? Purpose { get; set; }
        [JsonPropertyName("iat")] public long IssuedAt { get; set; }
        [JsonPropertyName("exp")] public long ExpiresAt { get; set; }
    }
}

[JsonSerializable(typeof(TicketProtector.Payload))]
internal sealed partial class TicketJson : JsonSerializerContext;
