using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using RingCentralOAuthFunctions.Protocol;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// Seals and opens <see cref="CompleteTicket"/>s in a <see cref="SealedEnvelope"/> (kind 2: the same key ring, with
/// rotation, as the state, under its own kind byte, associated-data context and purpose, so neither is ever accepted
/// as the other). A ticket is good for <see cref="CompleteTicket.Lifetime"/> after the Callback sealed it.
/// </summary>
public sealed class TicketProtector(TimeProvider time)
{
    /// <summary>Longest ticket Complete will try to open: one with the longest code is about 3,950 characters.</summary>
    public const int MaxEncodedLength = 4096;

    private static readonly SealedEnvelope.Kind Kind =
        new(SealedEnvelope.TicketKind, MaxEncodedLength, CompleteTicket.Purpose, CompleteTicket.Lifetime);

    public string Seal(OAuthState state, string code, StateKeyRing keys)
    {
        if (code is not { Length: > 0 and <= CompleteTicket.MaxCodeLength })
            throw new ArgumentException("The code must be 1 to 2048 characters.", nameof(code));
        var payload = new Payload { UserId = state.UserId, Code = Encoding.UTF8.GetBytes(code), CodeVerifier = state.CodeVerifier, FlowId = state.FlowId };
        try
        {
            return SealedEnvelope.Seal(Kind, payload, TicketJson.Default.Payload, keys, time);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload.Code);
        }
    }

    public EnvelopeRejection TryOpen(string? encoded, StateKeyRing keys, out CompleteTicket? ticket)
    {
        var rejection = SealedEnvelope.TryOpen(encoded, Kind, TicketJson.Default.Payload, keys, time, out var payload);
        ticket = payload is null ? null
            : new CompleteTicket(payload.UserId, Encoding.ASCII.GetString(payload.Code!), payload.CodeVerifier!, payload.FlowId!,
                payload.IssuedAtTime, payload.ExpiresAtTime);
        return rejection;
    }

    internal sealed class Payload : SealedPayload
    {
        [JsonPropertyName("u")] public Guid UserId { get; set; }
        [JsonPropertyName("c")] public byte[]? Code { get; set; }
        [JsonPropertyName("v")] public string? CodeVerifier { get; set; }
        [JsonPropertyName("f")] public string? FlowId { get; set; }

        /// <summary>A user, a code of printable ASCII no longer than <see cref="CompleteTicket.MaxCodeLength"/>, a verifier and a flow id.</summary>
        public override bool IsWellFormed() =>
            UserId != Guid.Empty && Code is { Length: > 0 and <= CompleteTicket.MaxCodeLength } && Code.All(b => b is > (byte)' ' and < 0x7f)
            && Pkce.IsWellFormedVerifier(CodeVerifier) && OAuthState.IsWellFormedFlowId(FlowId);
    }
}

[JsonSerializable(typeof(TicketProtector.Payload))]
internal sealed partial class TicketJson : JsonSerializerContext;
