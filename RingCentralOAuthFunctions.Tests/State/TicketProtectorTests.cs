using System.Buffers.Text;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Protocol;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.State;

public sealed class TicketProtectorTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly StateKeyRing _keys = Ring(ServiceHost.NewStateKey());
    private TicketProtector Tickets => new(_time);

    private static StateKeyRing Ring(string setting) => StateKeyRing.TryParse(setting, out var ring) ? ring : throw new ArgumentException(setting);

    private OAuthState NewState(StateKeyRing? keys = null)
    {
        var protector = new StateProtector(_time);
        Assert.Equal(EnvelopeRejection.None, protector.TryOpen(protector.Seal(Guid.NewGuid(), Pkce.CreateVerifier(), keys ?? _keys), keys ?? _keys, out var state));
        return state!;
    }

    [Fact]
    public void Round_trip_carries_user_code_verifier_flow_and_two_minutes()
    {
        var state = NewState();
        Assert.True(OAuthState.IsWellFormedFlowId(state.FlowId));

        Assert.Equal(EnvelopeRejection.None, Tickets.TryOpen(Tickets.Seal(state, "code-abc", _keys), _keys, out var ticket));

        Assert.Equal(state.UserId, ticket!.UserId);
        Assert.Equal("code-abc", ticket.Code);
        Assert.Equal(state.CodeVerifier, ticket.CodeVerifier);
        Assert.Equal(state.FlowId, ticket.FlowId);
        Assert.Equal(_time.GetUtcNow(), ticket.IssuedAt);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(2), ticket.ExpiresAt);
        Assert.DoesNotContain("code-abc", ticket.ToString());
        Assert.DoesNotContain(state.CodeVerifier, ticket.ToString());
    }

    [Fact]
    public void Each_state_gets_its_own_flow_id()
    {
        Assert.NotEqual(NewState().FlowId, NewState().FlowId);
    }

    [Fact]
    public void Sealed_ticket_is_url_safe_and_reveals_nothing_readable()
    {
        var state = NewState();
        var sealedTicket = Tickets.Seal(state, "code-abc", _keys);

        Assert.True(sealedTicket.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), sealedTicket);
        var latin = System.Text.Encoding.Latin1.GetString(Base64Url.DecodeFromChars(sealedTicket));
        foreach (var secret in new[] { "code-abc", state.CodeVerifier, state.FlowId, state.UserId.ToString(), state.UserId.ToString("N"), "ringcentral" })
            Assert.DoesNotContain(secret, latin);
        Assert.NotEqual(sealedTicket, Tickets.Seal(state, "code-abc", _keys));
    }

    [Fact]
    public void Changing_any_byte_is_refused()
    {
        var bytes = Base64Url.DecodeFromChars(Tickets.Seal(NewState(), "code-abc", _keys));
        for (var i = 0; i < bytes.Length; i++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x01;
            Assert.NotEqual(EnvelopeRejection.None, Tickets.TryOpen(Base64Url.EncodeToString(tampered), _keys, out var ticket));
            Assert.Null(ticket);
        }
    }

    [Fact]
    public void A_ticket_is_good_until_two_minutes_and_refused_from_then_on()
    {
        var sealedTicket = Tickets.Seal(NewState(), "code-abc", _keys);
        _time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(EnvelopeRejection.None, Tickets.TryOpen(sealedTicket, _keys, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(EnvelopeRejection.Expired, Tickets.TryOpen(sealedTicket, _keys, out _));
    }

    [Fact]
    public void State_and_ticket_are_never_taken_for_each_other()
    {
        var protector = new StateProtector(_time);
        var sealedState = protector.Seal(Guid.NewGuid(), Pkce.CreateVerifier(), _keys);
        Assert.Equal(EnvelopeRejection.WrongPurpose, Tickets.TryOpen(sealedState, _keys, out _));
        Assert.Equal(EnvelopeRejection.WrongPurpose, protector.TryOpen(Tickets.Seal(NewState(), "code-abc", _keys), _keys, out _));
    }

    [Fact]
    public void A_ticket_sealed_with_a_retired_key_is_refused_once_the_key_is_dropped()
    {
        var old = Ring(ServiceHost.NewStateKey());
        var sealedTicket = Tickets.Seal(NewState(old), "code-abc", old);
        Assert.Equal(EnvelopeRejection.UnknownKey, Tickets.TryOpen(sealedTicket, _keys, out _));
    }

    [Fact]
    public void The_longest_code_the_callback_accepts_fits_in_a_ticket_and_a_longer_one_is_never_sealed()
    {
        var longest = new string('~', CompleteTicket.MaxCodeLength);
        var sealedTicket = Tickets.Seal(NewState(), longest, _keys);
        Assert.InRange(sealedTicket.Length, 1, TicketProtector.MaxEncodedLength);
        Assert.Equal(EnvelopeRejection.None, Tickets.TryOpen(sealedTicket, _keys, out var ticket));
        Assert.Equal(longest, ticket!.Code);
        Assert.Throws<ArgumentException>(() => Tickets.Seal(NewState(), longest + "~", _keys));
    }
}
