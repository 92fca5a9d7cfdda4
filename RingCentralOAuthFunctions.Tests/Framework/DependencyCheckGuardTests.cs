using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.Tests.Health;

namespace RingCentralOAuthFunctions.Tests.Framework;

/// <summary>The tests' guard: with real (non-loopback) upstream settings, the background checks call nobody.</summary>
public sealed class DependencyCheckGuardTests
{
    [Fact]
    public async Task In_tests_no_dependency_check_calls_a_host_that_is_not_loopback()
    {
        Assert.True(AppContext.TryGetSwitch(DependencyChecks.LoopbackOnlySwitch, out var on) && on);
        var values = new Dictionary<string, string?>
        {
            ["RingCentral:ServerUrl"] = "https://platform.ringcentral.com",
            ["RingCentral:ClientId"] = "id",
            ["RingCentral:ClientSecret"] = "secret",
            ["Supabase:Url"] = "https://abcdefgh.supabase.co",
            ["Supabase:ServiceRoleKey"] = "sb_secret_x",
            ["OAuth:CallbackUrl"] = "https://fn.example.net/api/ringcentral/callback",
            ["OAuth:StateKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        };
        var handler = new RecordingHandler();
        var services = new ServiceCollection();
        services.AddHttpClient(DependencyChecks.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
        using var provider = services.BuildServiceProvider();
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(values).Build();

        var checks = new DependencyChecks(SettingsCheckTests.Check(values), provider.GetRequiredService<IHttpClientFactory>(),
            Options.Create(new SupabaseOptions { Url = values["Supabase:Url"] }),
            Options.Create(new RingCentralOptions { ServerUrl = values["RingCentral:ServerUrl"]! }),
            new ConfigurationSecretSource(configuration), new FakeTimeProvider(), Options.Create(new DependencyCheckOptions()), NullLogger<DependencyChecks>.Instance);
        var report = await checks.RunOnceAsync(default);

        Assert.Equal(3, report.Results.Count);
        Assert.All(report.Results, r => Assert.Equal(DependencyState.NotChecked, r.State));
        Assert.Equal(0, handler.Calls);
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }
}
