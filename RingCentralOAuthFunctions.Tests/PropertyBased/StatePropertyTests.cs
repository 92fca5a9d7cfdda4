using System.Buffers.Text;
using System.Text;
using CsCheck;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Tests.PropertyBased;

/// <summary>
/// Hostile <c>state</c> values against <see cref="StateProtector.TryOpen"/> directly: random input, truncations, bit
/// flips, other purposes, expired states and states sealed with retired or unknown keys are never accepted. Each
/// property runs thousands of generated cases (about 29,000 in all); a failure prints the shrunk case and its seed.
/// </summary>
public sealed class StatePropertyTests
{
    private const int Cases = 3_000;
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly long NowSeconds = Now.ToUnixTimeSeconds();
    private static readonly long LifetimeSeconds = (long)OAuthState.Lifetime.TotalSeconds;

    private readonly byte[] _currentKey = StateForgery.NewKey();
    private readonly byte[] _retiredKey = StateForgery.NewKey();
    private readonly StateKeyRing _ring;
    private readonly StateProtector _protector = new(new FakeTimeProvider(Now));

    public StatePropertyTests() => _ring = StateForgery.Ring(_currentKey);

    private static readonly Gen<string> Verifier =
        Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"].Array[43, 128].Select(c => new string(c));

    private static readonly Gen<Guid> UserId = Gen.Guid.Where(g => g != Guid.Empty);

    /// <summary>A state the service itself sealed now for a generated user and verifier.</summary>
    private Gen<string> ValidState => Gen.Select(UserId, Verifier, (user, verifier) => _protector.Seal(user, verifier, _ring));

    private void AssertRefused(string? candidate, params EnvelopeRejection[] allowed)
    {
        var rejection = _protector.TryOpen(candidate, _ring, out var state);
        Assert.Null(state);
        Assert.NotEqual(EnvelopeRejection.None, rejection);
        if (allowed.Length > 0) Assert.Contains(rejection, allowed);
    }

    [Fact]
    public void Valid_states_round_trip_so_the_refusals_below_are_not_vacuous()
    {
        Gen.Select(UserId, Verifier).Sample((user, verifier) =>
        {
            Assert.Equal(EnvelopeRejection.None, _protector.TryOpen(_protector.Seal(user, verifier, _ring), _ring, out var state));
            Assert.Equal(user, state!.UserId);
            Assert.Equal(verifier, state.CodeVerifier);
        }, iter: 1_000);
    }

    [Fact]
    public void Forged_layout_sealed_with_the_right_key_is_accepted_so_the_forgery_helper_matches_the_protector()
    {
        var key = _ring.Current;
        Gen.Select(UserId, Verifier).Sample((user, verifier) =>
        {
            var forged = StateForgery.Seal(key, user, verifier, OAuthState.RingCentralPurpose, NowSeconds, NowSeconds + LifetimeSeconds);
            Assert.Equal(EnvelopeRejection.None, _protector.TryOpen(forged, _ring, out var state));
            Assert.Equal(user, state!.UserId);
        }, iter: 200);
    }

    [Fact]
    public void Random_bytes_and_strings_are_never_accepted()
    {
        var key = _ring.Current;
        var randomBytes = Gen.Byte.Array[0, 800].Select(b => Base64Url.EncodeToString(b));
        // Right version and key id, random nonce, ciphertext and tag: reaches the AES-GCM tag check.
        var rightHeader = Gen.Byte.Array[0, 400].Select(b => Base64Url.EncodeToString([1, .. key.Id, .. b]));
        var anyText = Gen.String[0, 1200];
        var base64Alphabet = Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ "].Array[0, 400].Select(c => new string(c));
        var oversized = Gen.Byte.Array[StateProtector.MaxEncodedLength, 2 * StateProtector.MaxEncodedLength].Select(b => Base64Url.EncodeToString(b));

        Gen.OneOf(randomBytes, rightHeader, anyText, base64Alphabet, oversized).Sample(candidate => AssertRefused(candidate), iter: Cases);
    }

    [Fact]
    public void Truncated_valid_states_are_never_accepted()
    {
        Gen.Select(ValidState, Gen.Double.Unit, Gen.Bool).Sample((state, fraction, atByteLevel) =>
        {
            if (atByteLevel)
            {
                var bytes = Base64Url.DecodeFromChars(state);
                AssertRefused(Base64Url.EncodeToString(bytes.AsSpan(0, (int)(fraction * bytes.Length))));
            }
            else
            {
                AssertRefused(state[..(int)(fraction * state.Length)]);
            }
        }, iter: Cases);
    }

    [Fact]
    public void Single_bit_flips_of_a_valid_state_are_never_accepted()
    {
        Gen.Select(ValidState, Gen.Int.Positive).Sample((state, position) =>
        {
            var bytes = Base64Url.DecodeFromChars(state);
            var bit = position % (bytes.Length * 8);
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            // Header bits: version (malformed) or key id (unknown key); any other bit: the GCM tag fails.
            AssertRefused(Base64Url.EncodeToString(bytes), EnvelopeRejection.Malformed, EnvelopeRejection.UnknownKey, EnvelopeRejection.Tampered);
        }, iter: Cases);
    }

    [Fact]
    public void Character_edits_of_a_valid_state_are_refused_unless_they_decode_to_the_same_sealed_bytes()
    {
        var base64UrlChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        Gen.Select(ValidState, Gen.Int.Positive, Gen.Char[base64UrlChars]).Sample((state, position, replacement) =>
        {
            var index = position % state.Length;
            if (state[index] == replacement) return;
            var edited = new StringBuilder(state) { [index] = replacement }.ToString();
            var rejection = _protector.TryOpen(edited, _ring, out _);
            // Base64 may ignore the unused low bits of the last character; such an edit carries the very same sealed
            // bytes (no new content), so it is the only kind allowed through.
            if (rejection == EnvelopeRejection.None)
                Assert.Equal(Base64Url.DecodeFromChars(state), Base64Url.DecodeFromChars(edited));
        }, iter: Cases);
    }

    [Fact]
    public void States_sealed_for_another_purpose_are_never_accepted()
    {
        var nearMisses = Gen.OneOf("", "RingCentral", "ringcentral ", " ringcentral", "ringcentral\0", "ringcentraI", "ringcentral/state", "login", "csrf");
        var purpose = Gen.OneOf<string>(nearMisses, Gen.String[0, 40]).Where(p => p != OAuthState.RingCentralPurpose).Null(0.05);
        var key = _ring.Current;
        Gen.Select(UserId, Verifier, purpose).Sample((user, verifier, p) =>
            AssertRefused(StateForgery.Seal(key, user, verifier, p, NowSeconds, NowSeconds + LifetimeSeconds), EnvelopeRejection.WrongPurpose),
            iter: Cases);
    }

    [Fact]
    public void Expired_states_are_never_accepted()
    {
        // Sealed by the service at some time, presented at or after its expiry (up to ten years later).
        var age = Gen.Long[(long)OAuthState.Lifetime.TotalMilliseconds, (long)TimeSpan.FromDays(3650).TotalMilliseconds].Select(TimeSpan.FromMilliseconds);
        Gen.Select(UserId, Verifier, age).Sample((user, verifier, elapsed) =>
        {
            var clock = new FakeTimeProvider(Now);
            var sealedState = new StateProtector(clock).Seal(user, verifier, _ring);
            clock.Advance(elapsed);
            var rejection = new StateProtector(clock).TryOpen(sealedState, _ring, out var state);
            Assert.Null(state);
            Assert.Equal(EnvelopeRejection.Expired, rejection);
        }, iter: Cases);
    }

    [Fact]
    public void Only_states_within_their_ten_minutes_are_accepted_whatever_times_are_sealed_in()
    {
        // Times an insider holding the key could seal in: the lifetime rules still bound what is accepted.
        var offset = Gen.OneOf(Gen.Long[-1_200, 1_200], Gen.Long[-100_000_000, 100_000_000], Gen.OneOf(0L, 60L, 61L, -600L, 600L));
        var key = _ring.Current;
        Gen.Select(UserId, Verifier, offset, offset).Sample((user, verifier, issuedOffset, expiresOffset) =>
        {
            long iat = NowSeconds + issuedOffset, exp = NowSeconds + expiresOffset;
            var forged = StateForgery.Seal(key, user, verifier, OAuthState.RingCentralPurpose, iat, exp);
            var expected = iat <= NowSeconds + 60 && NowSeconds < exp && exp - iat <= LifetimeSeconds;
            Assert.Equal(expected, _protector.TryOpen(forged, _ring, out _) == EnvelopeRejection.None);
        }, iter: Cases);
    }

    [Fact]
    public void States_sealed_with_a_retired_or_unknown_key_are_never_accepted()
    {
        var retired = StateForgery.Ring(_retiredKey).Current;
        var current = _ring.Current;
        var signer = Gen.OneOf(
            Gen.Const(retired),                                                             // the key rotated out
            Gen.Byte.Array[32].Select(k => StateForgery.Ring(k).Current),                  // a key never configured
            Gen.Byte.Array[32].Select(k => new StateKey(current.Id, k)));                   // the current key's id, other material
        Gen.Select(UserId, Verifier, signer).Sample((user, verifier, key) =>
            AssertRefused(StateForgery.Seal(key, user, verifier, OAuthState.RingCentralPurpose, NowSeconds, NowSeconds + LifetimeSeconds),
                EnvelopeRejection.UnknownKey, EnvelopeRejection.Tampered),
            iter: Cases);
    }

    [Fact]
    public void During_rotation_the_old_key_still_opens_its_states_and_after_it_is_dropped_they_are_refused()
    {
        var before = StateForgery.Ring(_retiredKey);
        var during = StateForgery.Ring(_currentKey, _retiredKey);
        Gen.Select(UserId, Verifier).Sample((user, verifier) =>
        {
            var issuedBeforeRotation = _protector.Seal(user, verifier, before);
            Assert.Equal(EnvelopeRejection.None, _protector.TryOpen(issuedBeforeRotation, during, out _));
            Assert.Equal(EnvelopeRejection.UnknownKey, _protector.TryOpen(issuedBeforeRotation, _ring, out _));
            // New states are sealed with the first key of the ring, which the next ring keeps.
            Assert.Equal(EnvelopeRejection.None, _protector.TryOpen(_protector.Seal(user, verifier, during), _ring, out _));
        }, iter: 500);
    }

    [Fact]
    public void Payloads_the_service_never_writes_are_refused_even_when_sealed_with_the_key()
    {
        var key = _ring.Current;
        var badVerifier = Gen.OneOf<string>(Gen.String[0, 200], Gen.Char['a', 'z'].Array[0, 42].Select(c => new string(c)), Gen.Char['a', 'z'].Array[129, 300].Select(c => new string(c)))
            .Where(v => !global::RingCentralOAuthFunctions.Protocol.Pkce.IsWellFormedVerifier(v)).Null(0.1);
        var byVerifier = Gen.Select(UserId, badVerifier, (u, v) => StateForgery.Seal(key, u, v, OAuthState.RingCentralPurpose, NowSeconds, NowSeconds + LifetimeSeconds));
        var emptyUser = Verifier.Select(v => StateForgery.Seal(key, Guid.Empty, v, OAuthState.RingCentralPurpose, NowSeconds, NowSeconds + LifetimeSeconds));
        var notJson = Gen.Byte.Array[0, 300].Select(b => StateForgery.SealJson(b, key.Id, key.Material));
        var otherVersion = Gen.Select(Gen.Byte.Where(b => b != 1), Verifier, (version, v) =>
            StateForgery.SealJson(StateForgery.PayloadJson(Guid.NewGuid(), v, OAuthState.RingCentralPurpose, NowSeconds, NowSeconds + LifetimeSeconds), key.Id, key.Material, version));

        var badFlowId = Gen.OneOf<string>(Gen.String[1, 40], Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"].Array[1, 30].Select(c => new string(c)))
            .Where(f => !OAuthState.IsWellFormedFlowId(f)).Null(0.1);
        var byFlowId = Gen.Select(UserId, Verifier, badFlowId, (u, v, f) =>
            StateForgery.SealJson(StateForgery.PayloadJson(u, v, OAuthState.RingCentralPurpose, NowSeconds, NowSeconds + LifetimeSeconds, f), key.Id, key.Material));

        Gen.OneOf(byVerifier, emptyUser, notJson, otherVersion, byFlowId).Sample(candidate => AssertRefused(candidate), iter: Cases);
    }

    [Fact]
    public void Sealed_times_outside_the_calendar_are_refused_rather_than_thrown()
    {
        var key = _ring.Current;
        var outOfRange = Gen.OneOf(Gen.Long[253_402_300_800, long.MaxValue], Gen.Long[long.MinValue, -62_135_596_801]);
        var inRange = Gen.Long[NowSeconds - 1_000, NowSeconds + 1_000];
        Gen.Select(UserId, Verifier, outOfRange, inRange, Gen.Bool).Sample((user, verifier, wild, tame, wildIsIssuedAt) =>
        {
            var (iat, exp) = wildIsIssuedAt ? (wild, tame) : (tame, wild);
            AssertRefused(StateForgery.Seal(key, user, verifier, OAuthState.RingCentralPurpose, iat, exp));
        }, iter: 500);
    }
}
