using System.Buffers.Text;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Protocol;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.State;

public sealed class StateProtectorTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly StateKeyRing _keys = Ring(ServiceHost.NewStateKey());
    private StateProtector Protector => new(_time);

    private static StateKeyRing Ring(string setting) => StateKeyRing.TryParse(setting, out var ring) ? ring : throw new ArgumentException(setting);

    [Fact]
    public void Round_trip_returns_user_verifier_purpose_and_times()
    {
        var user = Guid.NewGuid();
        var verifier = Pkce.CreateVerifier();
        var sealedState = Protector.Seal(user, verifier, _keys);

        Assert.Equal(EnvelopeRejection.None, Protector.TryOpen(sealedState, _keys, out var state));
        Assert.Equal(user, state!.UserId);
        Assert.Equal(verifier, state.CodeVerifier);
        Assert.Equal(OAuthState.RingCentralPurpose, state.Purpose);
        Assert.Equal(_time.GetUtcNow(), state.IssuedAt);
        Assert.Equal(_time.GetUtcNow() + OAuthState.Lifetime, state.ExpiresAt);
    }

    [Fact]
    public void Sealed_state_is_url_safe_and_reveals_neither_user_nor_verifier()
    {
        var user = Guid.NewGuid();
        var verifier = Pkce.CreateVerifier();
        var sealedState = Protector.Seal(user, verifier, _keys);

        Assert.True(sealedState.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'), sealedState);
        Assert.InRange(sealedState.Length, 100, StateProtector.MaxEncodedLength);
        var bytes = Base64Url.DecodeFromChars(sealedState);
        var latin = System.Text.Encoding.Latin1.GetString(bytes);
        Assert.DoesNotContain(user.ToString(), latin);
        Assert.DoesNotContain(user.ToString("N"), latin);
        Assert.DoesNotContain(verifier, latin);
        Assert.DoesNotContain("ringcentral", latin);
        Assert.NotEqual(sealedState, Protector.Seal(user, verifier, _keys)); // fresh nonce each time
    }

    [Fact]
    public void Changing_any_byte_is_refused()
    {
        var bytes = Base64Url.DecodeFromChars(Protector.Seal(Guid.NewGuid(), Pkce.CreateVerifier(), _keys));
        for (var i = 0; i < bytes.Length; i++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x01;
            Assert.NotEqual(EnvelopeRejection.None, Protector.TryOpen(Base64Url.EncodeToString(tampered), _keys, out var state));
            Assert.Null(state);
        }
    }

    [Fact]
    public void Expires_after_ten_minutes()
    {
        var sealedState = Protector.Seal(Guid.NewGuid(), Pkce.CreateVerifier(), _keys);
        _time.Advance(OAuthState.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(EnvelopeRejection.None, Protector.TryOpen(sealedState, _keys, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(EnvelopeRejection.Expired, Protector.TryOpen(sealedState, _keys, out _));
    }

    [Fact]
    public void State_from_the_future_is_refused()
    {
        var aheadClock = new FakeTimeProvider(_time.GetUtcNow() + TimeSpan.FromMinutes(5));
        var sealedState = new StateProtector(aheadClock).Seal(Guid.NewGuid(), Pkce.CreateVerifier(), _keys);
        Assert.Equal(EnvelopeRejection.NotYetValid, Protector.TryOpen(sealedState, _keys, out _));
    }

    [Fact]
    public void Another_key_cannot_open_it()
    {
        var sealedState = Protector.Seal(Guid.NewGuid(), Pkce.CreateVerifier(), _keys);
        Assert.Equal(EnvelopeRejection.UnknownKey, Protector.TryOpen(sealedState, Ring(ServiceHost.NewStateKey()), out _));
    }

    [Fact]
    public void Rotation_keeps_old_states_valid_while_the_old_key_is_listed_second()
    {
        var oldKey = ServiceHost.NewStateKey();
        var newKey = ServiceHost.NewStateKey();
        var sealedWithOld = Protector.Seal(Guid.NewGuid(), Pkce.CreateVerifier(), Ring(oldKey));
        var rotated = Ring($"{newKey}, {oldKey}");

        Assert.Equal(EnvelopeRejection.None, Protector.TryOpen(sealedWithOld, rotated, out _));
        var sealedAfterRotation = Protector.Seal(Guid.NewGuid(), Pkce.CreateVerifier(), rotated);
        Assert.Equal(EnvelopeRejection.None, Protector.TryOpen(sealedAfterRotation, Ring(newKey), out _));
        Assert.Equal(EnvelopeRejection.UnknownKey, Protector.TryOpen(sealedAfterRotation, Ring(oldKey), out _));
        // Once the old key is dropped, its states are refused.
        Assert.Equal(EnvelopeRejection.UnknownKey, Protector.TryOpen(sealedWithOld, Ring(newKey), out _));
    }

    [Theory]
    [InlineData(null, EnvelopeRejection.Missing)]
    [InlineData("", EnvelopeRejection.Missing)]
    [InlineData("ringcentral", EnvelopeRejection.Malformed)]
    [InlineData("0b0c5f0e-8e9a-4a51-9b0e-3f1f6b6f3a11|ringcentral", EnvelopeRejection.Malformed)] // the old edge function's forgeable state
    [InlineData("AQ", EnvelopeRejection.Malformed)]
    [InlineData("not base64 !", EnvelopeRejection.Malformed)]
    public void Garbage_is_refused(string? state, EnvelopeRejection expected) =>
        Assert.Equal(expected, Protector.TryOpen(state, _keys, out _));

    [Fact]
    public void Oversized_state_is_refused_before_decoding() =>
        Assert.Equal(EnvelopeRejection.Malformed, Protector.TryOpen(new string('A', StateProtector.MaxEncodedLength + 1), _keys, out _));

    [Theory]
    [InlineData("")]
    [InlineData("not-base64!")]
    [InlineData("c2hvcnQ=")] // 5 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")] // 66 bytes
    public void Malformed_key_settings_are_refused(string setting) => Assert.False(StateKeyRing.TryParse(setting, out _));

    [Fact]
    public void Key_ids_differ_per_key_and_do_not_print_key_material()
    {
        var a = Ring(ServiceHost.NewStateKey()).Current;
        var b = Ring(ServiceHost.NewStateKey()).Current;
        Assert.NotEqual(a.Id, b.Id);
        Assert.DoesNotContain(Convert.ToBase64String(a.Material), a.ToString());
    }
}
