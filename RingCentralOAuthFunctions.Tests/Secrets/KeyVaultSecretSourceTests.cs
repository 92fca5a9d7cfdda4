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
