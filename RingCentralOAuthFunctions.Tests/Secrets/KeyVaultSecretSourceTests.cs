using Azure;
using System.Diagnostics.CodeAnalysis;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.Tests.Secrets;

/// <summary>The Key Vault source against a mocked <see cref="SecretClient"/> (its methods are virtual) and a fake clock.</summary>
public sealed class KeyVaultSecretSourceTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly Mock<SecretClient> _client = new(MockBehavior.Strict);
    private int _calls;

    private KeyVaultSecretSource Source() => new(_client.Object, _time, NullLogger<KeyVaultSecretSource>.Instance);

    private void VaultHolds(string name, Func<string> value) =>
        _client.Setup(c => c.GetSecretAsync(name, null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() =>
            {
                _calls++;
                return Response.FromValue(new KeyVaultSecret(name, value()), Mock.Of<Response>());
            });

    private void VaultFails(string name, int status, string? retryAfter = null)
    {
        _client.Setup(c => c.GetSecretAsync(name, null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(new VaultResponse(status, retryAfter)));
    }

    [Fact]
    public async Task Reads_each_secret_by_its_documented_name_once_per_refresh_interval()
    {
        VaultHolds("ringcentral-client-secret", () => "v1");
        var source = Source();

        for (var i = 0; i < 10; i++) Assert.Equal("v1", (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value);

        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task A_rotated_secret_is_picked_up_after_the_refresh_interval()
    {
        var current = "old";
        VaultHolds("oauth-state-key", () => current);
        var source = Source();
        Assert.Equal("old", (await source.GetAsync(AppSecret.StateKey, default)).Value);

        current = "new";
        _time.Advance(KeyVaultSecretSource.RefreshInterval - TimeSpan.FromSeconds(1));
        Assert.Equal("old", (await source.GetAsync(AppSecret.StateKey, default)).Value);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("new", (await source.GetAsync(AppSecret.StateKey, default)).Value);
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task A_missing_secret_is_missing_and_rechecked_soon()
    {
        VaultFails("supabase-jwt-secret", 404);
        var source = Source();

        Assert.True((await source.GetAsync(AppSecret.SupabaseJwtSecret, default)).IsMissing);

        VaultHolds("supabase-jwt-secret", () => "set later");
        Assert.True((await source.GetAsync(AppSecret.SupabaseJwtSecret, default)).IsMissing);
        _time.Advance(KeyVaultSecretSource.MissingRecheckInterval);
        Assert.Equal("set later", (await source.GetAsync(AppSecret.SupabaseJwtSecret, default)).Value);
    }

    [Fact]
    public async Task An_unreadable_secret_that_was_never_read_throws_naming_it_not_its_value()
    {
        VaultFails("supabase-service-role-key", 403);
        var error = await Assert.ThrowsAsync<SecretUnavailableException>(async () => await Source().GetAsync(AppSecret.SupabaseServiceRoleKey, default));
        Assert.Contains("Supabase:ServiceRoleKey", error.Message);
    }

    [Fact]
    public async Task A_secret_the_vault_never_answered_for_says_the_vault_is_the_cause()
    {
        _client.Setup(c => c.GetSecretAsync("oauth-state-key", null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException("refused", new HttpRequestException("refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused))));
        var error = await Assert.ThrowsAsync<SecretUnavailableException>(async () => await Source().GetAsync(AppSecret.StateKey, default));
        Assert.Equal("unreadable: Key Vault did not answer (connection refused)", error.Reason);
    }

    [Fact]
    public async Task A_secret_the_vault_refused_says_how_the_vault_answered()
    {
        VaultFails("supabase-service-role-key", 403);
        var error = await Assert.ThrowsAsync<SecretUnavailableException>(async () => await Source().GetAsync(AppSecret.SupabaseServiceRoleKey, default));
        Assert.StartsWith("unreadable: Key Vault answered HTTP 403", error.Reason);
    }

    [Fact]
    public async Task When_a_refresh_fails_the_value_read_earlier_keeps_serving()
    {
        VaultHolds("ringcentral-client-secret", () => "v1");
        var source = Source();
        await source.GetAsync(AppSecret.RingCentralClientSecret, default);

        VaultFails("ringcentral-client-secret", 500);
        _time.Advance(KeyVaultSecretSource.RefreshInterval);

        Assert.Equal("v1", (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value);
    }

    [Fact]
    public async Task After_a_429_the_vault_is_not_asked_again_until_retry_after()
    {
        VaultFails("oauth-state-key", 429, retryAfter: "120");
        var source = Source();
        await Assert.ThrowsAsync<SecretUnavailableException>(async () => await source.GetAsync(AppSecret.StateKey, default));

        VaultHolds("oauth-state-key", () => "k");
        _time.Advance(TimeSpan.FromSeconds(119));
        await Assert.ThrowsAsync<SecretUnavailableException>(async () => await source.GetAsync(AppSecret.StateKey, default));
        Assert.Equal(0, _calls);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("k", (await source.GetAsync(AppSecret.StateKey, default)).Value);
        Assert.Equal(1, _calls);
    }

    [Fact]
    public void Secret_values_never_print()
    {
        var value = new SecretValue("super-secret-value");
        Assert.DoesNotContain("super-secret-value", value.ToString());
        Assert.DoesNotContain("super-secret-value", $"{value}");
    }

    [Fact]
    public void Key_vault_is_used_only_when_its_uri_is_set()
    {
        var withVault = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["KeyVault:Uri"] = "https://example-vault.vault.azure.net/", ["KeyVault:ManagedIdentityClientId"] = Guid.NewGuid().ToString() })
            .Build();
        var withoutVault = new ConfigurationBuilder().Build();

        Assert.IsType<KeyVaultSecretSource>(Resolve(withVault));
        Assert.IsType<ConfigurationSecretSource>(Resolve(withoutVault));
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(ServiceCollectionExtensions.KeyVaultCredential(withVault));

        static ISecretSource Resolve(Microsoft.Extensions.Configuration.IConfiguration configuration)
        {
            var services = new ServiceCollection().AddLogging();
            services.AddRingCentralOAuth(configuration);
            return services.BuildServiceProvider().GetRequiredService<ISecretSource>();
        }
    }

    /// <summary>A Key Vault HTTP answer with a status and, optionally, Retry-After.</summary>
    private sealed class VaultResponse(int status, string? retryAfter) : Response
    {
        public override int Status => status;
        public override string ReasonPhrase => "";
        public override Stream? ContentStream { get; set; }
        public override string ClientRequestId { get; set; } = "";
        public override void Dispose() { }
        protected override bool ContainsHeader(string name) => name == "Retry-After" && retryAfter is not null;
        protected override IEnumerable<HttpHeader> EnumerateHeaders() => retryAfter is null ? [] : [new HttpHeader("Retry-After", retryAfter)];
        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
        {
            value = name == "Retry-After" ? retryAfter : null;
            return value is not null;
        }

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = name == "Retry-After" && retryAfter is not null ? [retryAfter] : null;
            return values is not null;
        }
    }
}

/// <summary>Issue 10 items 0 and 4: a slow, failing or unreachable vault, against the mocked <see cref="SecretClient"/>.</summary>
public sealed class KeyVaultOutageTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly Mock<SecretClient> _client = new(MockBehavior.Strict);
    private readonly Microsoft.Extensions.Logging.Testing.FakeLogger<KeyVaultSecretSource> _logger = new();
    private int _calls;

    private KeyVaultSecretSource Source() => new(_client.Object, _time, _logger);

    private void VaultAnswers(string name, Func<Task<Response<KeyVaultSecret>>> answer) =>
        _client.Setup(c => c.GetSecretAsync(name, null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                Interlocked.Increment(ref _calls);
                return answer();
            });

    private static Task<Response<KeyVaultSecret>> Holding(string name, string value) =>
        Task.FromResult(Response.FromValue(new KeyVaultSecret(name, value), Mock.Of<Response>()));

    /// <summary>What the SDK throws for an unreachable or unresolvable vault once its retries are spent.</summary>
    private static AggregateException Unreachable() => new("Retry failed after 2 tries.",
        new RequestFailedException("No such host is known.", new HttpRequestException("No such host is known.", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound))),
        new RequestFailedException("No such host is known.", new HttpRequestException("No such host is known.", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound))));

    public static TheoryData<string> Failures => ["unreachable", "credential", "http", "unexpected"];

    private static Exception Failure(string kind) => kind switch
    {
        "unreachable" => Unreachable(),
        "credential" => new Azure.Identity.CredentialUnavailableException("no managed identity endpoint"),
        "http" => new HttpRequestException("connection refused"),
        _ => new InvalidOperationException("anything else the SDK may throw"),
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Any_failure_of_a_first_read_is_a_named_unavailable_secret_and_a_vault_that_comes_back_is_used(string kind)
    {
        VaultAnswers("oauth-state-key", () => Task.FromException<Response<KeyVaultSecret>>(Failure(kind)));
        var source = Source();

        var error = await Assert.ThrowsAsync<SecretUnavailableException>(async () => await source.GetAsync(AppSecret.StateKey, default));
        Assert.Equal(AppSecret.StateKey, error.Secret);

        VaultAnswers("oauth-state-key", () => Holding("oauth-state-key", "k"));
        _time.Advance(KeyVaultSecretSource.FirstBackoff);
        Assert.Equal("k", (await source.GetAsync(AppSecret.StateKey, default)).Value);
    }

    [Fact]
    public async Task A_slow_vault_never_delays_a_request_that_has_a_cached_value_and_is_asked_once()
    {
        VaultAnswers("ringcentral-client-secret", () => Holding("ringcentral-client-secret", "v1"));
        var source = Source();
        Assert.Equal("v1", (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value);

        var slow = new TaskCompletionSource<Response<KeyVaultSecret>>(TaskCreationOptions.RunContinuationsAsynchronously);
        VaultAnswers("ringcentral-client-secret", () => slow.Task);
        _time.Advance(KeyVaultSecretSource.RefreshInterval);

        for (var i = 0; i < 20; i++)
        {
            var answer = source.GetAsync(AppSecret.RingCentralClientSecret, default);
            Assert.True(answer.IsCompletedSuccessfully, "a request waited for the vault although a value was cached");
            Assert.Equal("v1", (await answer).Value);
        }

        Assert.Equal(2, _calls); // the first read and one background refresh, however many requests came meanwhile

        slow.SetResult(Response.FromValue(new KeyVaultSecret("ringcentral-client-secret", "v2"), Mock.Of<Response>()));
        await Task.Yield();
        for (var i = 0; i < 100 && (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value != "v2"; i++) await Task.Delay(10);
        Assert.Equal("v2", (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value);
    }

    [Fact]
    public async Task Concurrent_first_reads_share_one_vault_call()
    {
        var slow = new TaskCompletionSource<Response<KeyVaultSecret>>(TaskCreationOptions.RunContinuationsAsynchronously);
        VaultAnswers("supabase-service-role-key", () => slow.Task);
        var source = Source();

        var readers = Enumerable.Range(0, 10).Select(_ => source.GetAsync(AppSecret.SupabaseServiceRoleKey, default).AsTask()).ToList();
        slow.SetResult(Response.FromValue(new KeyVaultSecret("supabase-service-role-key", "key"), Mock.Of<Response>()));

        Assert.All(await Task.WhenAll(readers), v => Assert.Equal("key", v.Value));
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_shared_read()
    {
        var slow = new TaskCompletionSource<Response<KeyVaultSecret>>(TaskCreationOptions.RunContinuationsAsynchronously);
        VaultAnswers("supabase-service-role-key", () => slow.Task);
        var source = Source();
        using var gone = new CancellationTokenSource();

        var first = source.GetAsync(AppSecret.SupabaseServiceRoleKey, gone.Token).AsTask();
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        slow.SetResult(Response.FromValue(new KeyVaultSecret("supabase-service-role-key", "key"), Mock.Of<Response>()));
        Assert.Equal("key", (await source.GetAsync(AppSecret.SupabaseServiceRoleKey, default)).Value);
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task A_failing_vault_is_logged_once_per_episode_not_per_request_or_retry()
    {
        VaultAnswers("ringcentral-client-secret", () => Holding("ringcentral-client-secret", "v1"));
        var source = Source();
        await source.GetAsync(AppSecret.RingCentralClientSecret, default);

        VaultAnswers("ringcentral-client-secret", () => Task.FromException<Response<KeyVaultSecret>>(Unreachable()));
        _time.Advance(KeyVaultSecretSource.RefreshInterval);
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < 10; i++) Assert.Equal("v1", (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value);
            _time.Advance(KeyVaultSecretSource.FirstBackoff);
        }

        Assert.True(_calls >= 5, $"the vault was asked {_calls} times: it is to be re-tried on schedule");
        var unavailable = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Name == "SecretUnavailable");
        Assert.Contains("RingCentral:ClientSecret", unavailable.Message);
        Assert.Contains("host not found", unavailable.Message);
        Assert.Null(unavailable.Exception);

        VaultAnswers("ringcentral-client-secret", () => Holding("ringcentral-client-secret", "v2"));
        Assert.Equal("v2", (await source.GetAsync(AppSecret.RingCentralClientSecret, default)).Value);
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Name == "SecretReadable");

        VaultAnswers("ringcentral-client-secret", () => Task.FromException<Response<KeyVaultSecret>>(Unreachable()));
        _time.Advance(KeyVaultSecretSource.RefreshInterval);
        await source.GetAsync(AppSecret.RingCentralClientSecret, default);
        Assert.Equal(2, _logger.Collector.GetSnapshot().Count(r => r.Id.Name == "SecretUnavailable"));
    }

    [Fact]
    public void The_client_fails_fast_short_network_timeout_and_few_retries()
    {
        var options = ServiceCollectionExtensions.KeyVaultClientOptions();
        Assert.InRange(options.Retry.MaxRetries, 0, 2);
        Assert.InRange(options.Retry.NetworkTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.True(options.Retry.MaxDelay <= TimeSpan.FromSeconds(2));
    }
}
