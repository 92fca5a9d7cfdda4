using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// What an attacker who knows the state format (but not necessarily the key) can build: sealed states with any
/// payload, purpose, times and key, in the documented layout <c>kind | key id | nonce | ciphertext | tag</c>, and the
/// same for Complete tickets (kind 2, their own associated-data context).
/// Used to reach every check of <see cref="StateProtector.TryOpen"/> and <see cref="TicketProtector.TryOpen"/>, not only the tag check.
/// </summary>
internal static class StateForgery
{
    /// <summary>The associated-data prefix the protector authenticates; a control test proves this copy matches.</summary>
    private static readonly byte[] Context = "ringcentral-oauth-functions/state/v1"u8.ToArray();
    private static readonly byte[] TicketContext = "ringcentral-oauth-functions/ticket/v1"u8.ToArray();
    public const byte StateKind = 1, TicketKind = 2;

    public static StateKeyRing Ring(params byte[][] keys)
    {
        Assert.True(StateKeyRing.TryParse(string.Join(',', keys.Select(Convert.ToBase64String)), out var ring));
        return ring;
    }

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(StateKeyRing.KeySize);

    /// <summary>Seals any payload JSON with <paramref name="material"/>, announcing <paramref name="keyId"/> in the header.</summary>
    public static string SealJson(byte[] json, byte[] keyId, byte[] material, byte version = 1, byte[]? nonce = null, bool ticketContext = false)
    {
        var header = new byte[1 + keyId.Length];
        header[0] = version;
        keyId.CopyTo(header, 1);
        nonce ??= RandomNumberGenerator.GetBytes(12);
        var cipher = new byte[json.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(material, 16))
            aes.Encrypt(nonce.AsSpan(), json.AsSpan(), cipher.AsSpan(), tag.AsSpan(), (byte[])[.. ticketContext ? TicketContext : Context, .. header]);
        return Base64Url.EncodeToString([.. header, .. nonce, .. cipher, .. tag]);
    }

    public static string Seal(StateKey key, Guid userId, string? verifier, string? purpose, long issuedAt, long expiresAt) =>
        SealJson(PayloadJson(userId, verifier, purpose, issuedAt, expiresAt), key.Id, key.Material);

    public static byte[] PayloadJson(Guid userId, string? verifier, string? purpose, long issuedAt, long expiresAt, string? flowId = "") =>
        JsonSerializer.SerializeToUtf8Bytes(new StateProtector.Payload
        {
            UserId = userId,
            CodeVerifier = verifier,
            FlowId = flowId == "" ? OAuthState.NewFlowId() : flowId,
            Purpose = purpose,
            IssuedAt = issuedAt,
            ExpiresAt = expiresAt,
        }, StateJson.Default.Payload);
}

/// <summary>Forged Complete tickets: any payload, sealed as a ticket (kind 2, ticket context) or in a state's envelope.</summary>
internal static class TicketForgery
{
    public static byte[] PayloadJson(Guid userId, byte[]? code, string? verifier, string? flowId, string? purpose, long issuedAt, long expiresAt) =>
        JsonSerializer.SerializeToUtf8Bytes(new TicketProtector.Payload
        {
            UserId = userId,
            Code = code,
            CodeVerifier = verifier,
            FlowId = flowId,
            Purpose = purpose,
            IssuedAt = issuedAt,
            ExpiresAt = expiresAt,
        }, TicketJson.Default.Payload);

    public static string Seal(StateKey key, byte[] json) =>
        StateForgery.SealJson(json, key.Id, key.Material, StateForgery.TicketKind, ticketContext: true);

    public static string Seal(StateKey key, Guid userId, string code, string? verifier, string? flowId, string? purpose, long issuedAt, long expiresAt) =>
        Seal(key, PayloadJson(userId, System.Text.Encoding.ASCII.GetBytes(code), verifier, flowId, purpose, issuedAt, expiresAt));
}
