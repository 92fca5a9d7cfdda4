using System.Text.Json.Serialization;
using RingCentralOAuthFunctions.Protocol;

namespace RingCentralOAuthFunctions.State;

/// <summary>
/// Seals and opens <see cref="OAuthState"/> in a <see cref="SealedEnvelope"/> (kind 1), so the callback needs no
/// server-side session and the state can be neither read nor forged nor altered: the callback trusts only what it
/// sealed itself, within <see cref="OAuthState.Lifetime"/>.
/// </summary>
public sealed class StateProtector(TimeProvider time)
{
    /// <summary>Longest state the callback will even try to open (a sealed state is about 230 characters).</summary>
    public const int MaxEncodedLength = 1024;

    private static readonly SealedEnvelope.Kind Kind =
        new(SealedEnvelope.StateKind, MaxEncodedLength, OAuthState.RingCentralPurpose, OAuthState.Lifetime);

    public string Seal(Guid userId, string codeVerifier, StateKeyRing keys) =>
        SealedEnvelope.Seal(Kind, new Payload { UserId = userId, CodeVerifier = codeVerifier, FlowId = OAuthState.NewFlowId() },
            StateJson.Default.Payload, keys, time);

    public EnvelopeRejection TryOpen(string? encoded, StateKeyRing keys, out OAuthState? state)
    {
        var rejection = SealedEnvelope.TryOpen(encoded, Kind, StateJson.Default.Payload, keys, time, out var payload);
        state = payload is null ? null
            : new OAuthState(payload.UserId, payload.CodeVerifier!, payload.Purpose!, payload.IssuedAtTime, payload.ExpiresAtTime, payload.FlowId!);
        return rejection;
    }

    internal sealed class Payload : SealedPayload
    {
        [JsonPropertyName("u")] public Guid UserId { get; set; }
        [JsonPropertyName("v")] public string? CodeVerifier { get; set; }
        [JsonPropertyName("f")] public string? FlowId { get; set; }

        public override bool IsWellFormed() =>
            UserId != Guid.Empty && Pkce.IsWellFormedVerifier(CodeVerifier) && OAuthState.IsWellFormedFlowId(FlowId);
    }
}

[JsonSerializable(typeof(StateProtector.Payload))]
internal sealed partial class StateJson : JsonSerializerContext;
