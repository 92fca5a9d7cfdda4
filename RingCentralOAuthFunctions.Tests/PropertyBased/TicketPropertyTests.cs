using System.Buffers.Text;
using System.Text;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// Hostile <c>ticket</c> values against <see cref="TicketProtector.TryOpen"/>, as <see cref="StatePropertyTests"/> does
/// for the state: random input, truncations, bit flips, expiry, retired keys, payloads the service never writes, and
/// the other purpose both ways (a state is never a ticket, a ticket never a state).
/// </summary>
public sealed class TicketPropertyTests
{
    private const int Cases = 2_000;
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly long NowSeconds = Now.ToUnixTimeSeconds();
    private static readonly long LifetimeSeconds = (long)CompleteTicket.Lifetime.TotalSeconds;

    private readonly StateKeyRing _ring = StateForgery.Ring(StateForgery.NewKey());
    private readonly StateKeyRing _retired = StateForgery.Ring(StateForgery.NewKey());
    private readonly FakeTimeProvider _clock = new(Now);
    private TicketProtector Tickets => new(_clock);
    private StateProtector States => new(_clock);

    private static readonly Gen<string> Verifier =
        Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"].Array[43, 128].Select(c => new string(c));
    private static readonly Gen<string> Code = Gen.Char['!', '~'].Array[1, CompleteTicket.MaxCodeLength].Select(c => new string(c));
    private static readonly Gen<Guid> UserId = Gen.Guid.Where(g => g != Guid.Empty);

    private OAuthState StateFor(Guid user, string verifier, StateKeyRing ring)
    {
        Assert.Equal(EnvelopeRejection.None, States.TryOpen(States.Seal(user, verifier, ring), ring, out var state));
        return state!;
    }

    private Gen<string> ValidTicket => Gen.Select(UserId, Verifier, Code, (u, v, c) => Tickets.Seal(StateFor(u, v, _ring), c, _ring));

    private void AssertRefused(string? candidate, params EnvelopeRejection[] allowed)
    {
        var rejection = Tickets.TryOpen(candidate, _ring, out var ticket);
        Assert.Null(ticket);
        Assert.NotEqual(EnvelopeRejection.None, rejection);
        if (allowed.Length > 0) Assert.Contains(rejection, allowed);
    }

    [Fact]
    public void Valid_tickets_round_trip_with_the_states_user_verifier_and_flow_and_fit_the_length_limit()
    {
        Gen.Select(UserId, Verifier, Code).Sample((user, verifier, code) =>
        {
            var state = StateFor(user, verifier, _ring);
            var sealedTicket = Tickets.Seal(state, code, _ring);
            Assert.InRange(sealedTicket.Length, 1, TicketProtector.MaxEncodedLength);
            Assert.Equal(EnvelopeRejection.None, Tickets.TryOpen(sealedTicket, _ring, out var ticket));
            Assert.Equal((user, code, verifier, state.FlowId), (ticket!.UserId, ticket.Code, ticket.CodeVerifier, ticket.FlowId));
        }, iter: 500);
    }

    [Fact]
    public void Forged_layout_sealed_with_the_right_key_is_accepted_so_the_forgery_helper_matches_the_protector()
    {
        var key = _ring.Current;
        Gen.Select(UserId, Verifier, Code).Sample((user, verifier, code) =>
        {
            var forged = TicketForgery.Seal(key, user, code, verifier, OAuthState.NewFlowId(), CompleteTicket.Purpose, NowSeconds, NowSeconds + LifetimeSeconds);
            Assert.Equal(EnvelopeRejection.None, Tickets.TryOpen(forged, _ring, out var ticket));
            Assert.Equal(code, ticket!.Code);
        }, iter: 200);
    }

    [Fact]
    public void Random_input_truncations_and_bit_flips_are_never_accepted()
    {
        var key = _ring.Current;
        var random = Gen.OneOf(
            Gen.Byte.Array[0, 800].Select(b => Base64Url.EncodeToString(b)),
            Gen.Byte.Array[0, 400].Select(b => Base64Url.EncodeToString([StateForgery.TicketKind, .. key.Id, .. b])),
            Gen.String[0, 1200],
            Gen.Byte.Array[TicketProtector.MaxEncodedLength, 2 * TicketProtector.MaxEncodedLength].Select(b => Base64Url.EncodeToString(b)));
        var truncated = Gen.Select(ValidTicket, Gen.Double.Unit).Select((t, f) => t[..(int)(f * t.Length)]);
        var flipped = Gen.Select(ValidTicket, Gen.Int.Positive).Select((t, position) =>
        {
            var bytes = Base64Url.DecodeFromChars(t);
            var bit = position % (bytes.Length * 8);
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            return Base64Url.EncodeToString(bytes);
        });
        Gen.OneOf(random, truncated, flipped).Sample(candidate => AssertRefused(candidate), iter: Cases);
    }

    [Fact]
    public void Expired_tickets_are_never_accepted()
    {
        var age = Gen.Long[(long)CompleteTicket.Lifetime.TotalMilliseconds, (long)TimeSpan.FromDays(3650).TotalMilliseconds].Select(TimeSpan.FromMilliseconds);
        Gen.Select(UserId, Verifier, age).Sample((user, verifier, elapsed) =>
        {
            var clock = new FakeTimeProvider(Now);
            var sealedTicket = new TicketProtector(clock).Seal(StateFor(user, verifier, _ring), "code-1", _ring);
            clock.Advance(elapsed);
            Assert.Equal(EnvelopeRejection.Expired, new TicketProtector(clock).TryOpen(sealedTicket, _ring, out var ticket));
            Assert.Null(ticket);
        }, iter: Cases);
    }

    [Fact]
    public void Only_tickets_within_their_two_minutes_are_accepted_whatever_times_are_sealed_in()
    {
        var offset = Gen.OneOf(Gen.Long[-400, 400], Gen.Long[-100_000_000, 100_000_000], Gen.OneOf(0L, 60L, 61L, -120L, 120L));
        var key = _ring.Current;
        Gen.Select(UserId, Verifier, offset, offset).Sample((user, verifier, issuedOffset, expiresOffset) =>
        {
            long iat = NowSeconds + issuedOffset, exp = NowSeconds + expiresOffset;
            var forged = TicketForgery.Seal(key, user, "code-1", verifier, OAuthState.NewFlowId(), CompleteTicket.Purpose, iat, exp);
            var expected = iat <= NowSeconds + 60 && NowSeconds < exp && exp - iat <= LifetimeSeconds;
            Assert.Equal(expected, Tickets.TryOpen(forged, _ring, out _) == EnvelopeRejection.None);
        }, iter: Cases);
    }

    [Fact]
    public void A_state_is_never_accepted_as_a_ticket_nor_a_ticket_as_a_state()
    {
        var key = _ring.Current;
        Gen.Select(UserId, Verifier, Code).Sample((user, verifier, code) =>
        {
            var state = States.Seal(user, verifier, _ring);
            AssertRefused(state, EnvelopeRejection.WrongPurpose);
            var ticket = Tickets.Seal(StateFor(user, verifier, _ring), code, _ring);
            // A ticket longer than any state is refused by length before its kind is read.
            Assert.Equal(ticket.Length <= StateProtector.MaxEncodedLength ? EnvelopeRejection.WrongPurpose : EnvelopeRejection.Malformed,
                States.TryOpen(ticket, _ring, out _));

            // The kind byte rewritten to claim the other kind: the associated data no longer matches.
            var asTicket = Base64Url.DecodeFromChars(state);
            asTicket[0] = StateForgery.TicketKind;
            AssertRefused(Base64Url.EncodeToString(asTicket), EnvelopeRejection.Tampered);

            // A ticket payload in a state's envelope, and a state payload in a ticket's: refused by purpose or shape.
            var ticketPayload = TicketForgery.PayloadJson(user, Encoding.ASCII.GetBytes("c"), verifier, OAuthState.NewFlowId(), CompleteTicket.Purpose, NowSeconds, NowSeconds + 60);
            Assert.NotEqual(EnvelopeRejection.None, States.TryOpen(StateForgery.SealJson(ticketPayload, key.Id, key.Material), _ring, out _));
            var statePayload = StateForgery.PayloadJson(user, verifier, OAuthState.RingCentralPurpose, NowSeconds, NowSeconds + 60);
            AssertRefused(TicketForgery.Seal(key, statePayload));
        }, iter: 500);
    }

    [Fact]
    public void Tickets_sealed_for_another_purpose_are_never_accepted()
    {
        var purpose = Gen.OneOf<string>(Gen.OneOf(OAuthState.RingCentralPurpose, "ringcentral-complete ", "RingCentral-Complete", ""), Gen.String[0, 40])
            .Where(p => p != CompleteTicket.Purpose).Null(0.05);
        var key = _ring.Current;
        Gen.Select(UserId, Verifier, purpose).Sample((user, verifier, p) =>
            AssertRefused(TicketForgery.Seal(key, user, "code-1", verifier, OAuthState.NewFlowId(), p, NowSeconds, NowSeconds + 60), EnvelopeRejection.WrongPurpose),
            iter: Cases);
    }

    [Fact]
    public void Tickets_sealed_with_a_retired_or_unknown_key_are_never_accepted_and_rotation_keeps_open_ones_working()
    {
        var during = StateForgery.Ring([.. _ring.Current.Material], [.. _retired.Current.Material]);
        Gen.Select(UserId, Verifier, Code).Sample((user, verifier, code) =>
        {
            var oldTicket = Tickets.Seal(StateFor(user, verifier, _retired), code, _retired);
            Assert.Equal(EnvelopeRejection.None, Tickets.TryOpen(oldTicket, during, out _));
            AssertRefused(oldTicket, EnvelopeRejection.UnknownKey);
            var sameIdOtherMaterial = new StateKey(_ring.Current.Id, StateForgery.NewKey());
            AssertRefused(TicketForgery.Seal(sameIdOtherMaterial, user, code, verifier, OAuthState.NewFlowId(), CompleteTicket.Purpose, NowSeconds, NowSeconds + 60),
                EnvelopeRejection.Tampered);
        }, iter: 500);
    }

    [Fact]
    public void Payloads_the_service_never_writes_are_refused_even_when_sealed_with_the_key()
    {
        var key = _ring.Current;
        var badCode = Gen.OneOf<byte[]?>(Gen.Const((byte[]?)null), Gen.Const((byte[]?)Array.Empty<byte>()),
            Gen.Byte.Array[1, 50].Where(b => b.Any(x => x is <= (byte)' ' or >= 0x7f)).Select(b => (byte[]?)b),
            Gen.Const<byte[]?>(Encoding.ASCII.GetBytes(new string('a', CompleteTicket.MaxCodeLength + 1))));
        var byCode = Gen.Select(UserId, Verifier, badCode, (u, v, c) =>
            TicketForgery.Seal(key, TicketForgery.PayloadJson(u, c, v, OAuthState.NewFlowId(), CompleteTicket.Purpose, NowSeconds, NowSeconds + 60)));
        var byVerifier = Gen.Select(UserId, Gen.String[0, 42].Null(0.2), (u, v) =>
            TicketForgery.Seal(key, u, "code-1", v, OAuthState.NewFlowId(), CompleteTicket.Purpose, NowSeconds, NowSeconds + 60));
        var byFlowId = Gen.Select(UserId, Verifier, Gen.String[0, 40].Where(f => !OAuthState.IsWellFormedFlowId(f)).Null(0.2), (u, v, f) =>
            TicketForgery.Seal(key, u, "code-1", v, f, CompleteTicket.Purpose, NowSeconds, NowSeconds + 60));
        var emptyUser = Verifier.Select(v => TicketForgery.Seal(key, Guid.Empty, "code-1", v, OAuthState.NewFlowId(), CompleteTicket.Purpose, NowSeconds, NowSeconds + 60));
        var notJson = Gen.Byte.Array[0, 300].Select(b => TicketForgery.Seal(key, b));
        Gen.OneOf(byCode, byVerifier, byFlowId, emptyUser, notJson).Sample(candidate => AssertRefused(candidate, EnvelopeRejection.Malformed), iter: Cases);
    }
}
