using System.Net;
using System.Text.Json;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Moq;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.LocalHost;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Startup;

/// <summary>Issue 10 item 0: bad or unreachable settings never stop the service; each is a named problem in the log and in Health.</summary>
public sealed class StartupResilienceTests
{
    private static async Task<(HttpStatusCode Status, Dictionary<string, string> Problems)> HealthAsync(ServiceHost host)
    {
        using var response = await host.Client.GetAsync("/api/health");
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var problems = root.TryGetProperty("problems", out var list)
            ? list.EnumerateArray().GroupBy(p => p.GetProperty("setting").GetString()!).ToDictionary(g => g.Key, g => g.First().GetProperty("problem").GetString()!)
            : [];
        return (response.StatusCode, problems);
    }

    private static bool Stopping(ServiceHost host) =>
        host.App.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;

    [Fact]
    public async Task A_key_vault_uri_that_is_not_a_uri_is_named_and_the_service_stays_up()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["KeyVault:Uri"] = "not-a-uri" });
        var (status, problems) = await HealthAsync(host);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("malformed", problems["KeyVault:Uri"]);
        Assert.Contains("KeyVault:Uri", problems["OAuth:StateKey"]);
        using var authUrl = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", host.Supabase.MintAccessToken(Guid.NewGuid())));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, authUrl.StatusCode);
        Assert.False(Stopping(host));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Name == "SettingProblem" && r.Message.Contains("KeyVault:Uri"));
    }

    [Fact]
    public async Task An_unreachable_vault_is_named_the_service_stays_up_and_a_vault_that_comes_back_is_used_without_a_restart()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var client = new Mock<SecretClient>(MockBehavior.Strict);
        var reachable = false;
        var secrets = new Dictionary<string, string>
        {
            ["ringcentral-client-secret"] = Fakes.FakeRingCentral.ClientSecret,
            ["supabase-service-role-key"] = Fakes.FakeSupabase.LegacyServiceRoleKey,
            ["oauth-state-key"] = ServiceHost.NewStateKey(),
        };
        client.Setup(c => c.GetSecretAsync(It.IsAny<string>(), null, It.IsAny<SecretContentType?>(), It.IsAny<CancellationToken>()))
            .Returns((string name, string? _, SecretContentType? _, CancellationToken _) =>
            {
                // What the SDK throws for an unresolvable vault once its retries are spent.
                if (!reachable) return Task.FromException<Response<KeyVaultSecret>>(new AggregateException(
                    new RequestFailedException("No such host is known.", new HttpRequestException("No such host is known."))));
                return secrets.TryGetValue(name, out var value)
                    ? Task.FromResult(Response.FromValue(new KeyVaultSecret(name, value), Mock.Of<Response>()))
                    : Task.FromException<Response<KeyVaultSecret>>(new RequestFailedException(404, "SecretNotFound"));
            });

        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["KeyVault:Uri"] = "https://unreachable-vault.vault.azure.net/" },
            configure: b =>
            {
                b.Services.AddSingleton(client.Object); // no real credential ever runs
                b.Services.AddSingleton<TimeProvider>(time);
            });
        await Task.Delay(300); // the preload and start-up log run in the background: they must not stop the host

        var (status, problems) = await HealthAsync(host);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("unreadable: Key Vault did not answer (", problems["RingCentral:ClientSecret"]);
        Assert.StartsWith("unreadable: Key Vault did not answer (", problems["OAuth:StateKey"]);
        Assert.False(Stopping(host));
        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Exception is not null);

        reachable = true;
        time.Advance(KeyVaultSecretSource.FirstBackoff);
        Assert.Equal(HttpStatusCode.OK, (await HealthAsync(host)).Status);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", host.Supabase.MintAccessToken(Guid.NewGuid())))).StatusCode);
    }

    [Theory]
    [InlineData("{ \"Values\": { \"RingCentral__ClientId\": \"x\", } ")]
    [InlineData("{ \"Values\": { \"OAuth__StateKey\": \"super-secret-looking\" \"x\": 1 } }")]
    [InlineData("not json at all")]
    public void A_malformed_local_settings_file_is_named_not_fatal_and_its_text_never_shown(string text)
    {
        var dir = Directory.CreateTempSubdirectory("rcoauth-settings-");
        try
        {
            var file = Path.Combine(dir.FullName, "local.settings.json");
            File.WriteAllText(file, text);
            var problem = LocalHostApp.AddLocalSettingsFile(new ConfigurationManager(), file);

            Assert.NotNull(problem);
            Assert.Equal("local.settings.json", problem.Name);
            Assert.Contains("not valid JSON at line", problem.Problem);
            Assert.DoesNotContain("super-secret-looking", problem.Problem);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_good_local_settings_file_is_read()
    {
        var dir = Directory.CreateTempSubdirectory("rcoauth-settings-");
        try
        {
            var file = Path.Combine(dir.FullName, "local.settings.json");
            File.WriteAllText(file, """{ "Values": { "RingCentral__ClientId": "abc", } }""");
            var configuration = new ConfigurationManager();
            Assert.Null(LocalHostApp.AddLocalSettingsFile(configuration, file));
            Assert.Equal("abc", configuration["RingCentral:ClientId"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
