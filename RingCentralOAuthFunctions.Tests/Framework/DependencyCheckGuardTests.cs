using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.RingCentral;

namespace RingCentralOAuthFunctions.Tests.Framework;

/// <summary>The tests' guard (<see cref="LoopbackOnlyHttp"/>): with real (non-loopback) upstream settings, the background checks call nobody.</summary>
public sealed class DependencyCheckGuardTests
{
    [Fact]
    public async Task In_tests_no_dependency_check_calls_a_host_that_is_not_loopback()
    {
        var handler = new RecordingHandler();
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["RingCentral:ServerUrl"] = "https://platform.ringcentral.com",
            ["Supabase:Url"] = "https://abcdefgh.supabase.co",
        }, configure: b =>
        {
            // Where a check would go if the guard let it: counted, never sent.
            b.Services.AddHttpClient(DependencyChecks.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => handler);
            b.Services.AddHttpClient(RingCentralEndpoints.TokenClient).ConfigurePrimaryHttpMessageHandler(() => handler);
        });

        var report = await host.App.Services.GetRequiredService<DependencyChecks>().RunOnceAsync(default);

        Assert.Equal(3, report.Results.Count);
        Assert.All(report.Results, r => Assert.NotEqual(DependencyState.Ok, r.State));
        Assert.Equal(0, handler.Calls);

        // Every client of the factory, not only the checks': Azure's instance-metadata address included.
        var client = host.App.Services.GetRequiredService<IHttpClientFactory>().CreateClient(RingCentralEndpoints.TokenClient);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("http://169.254.169.254/metadata/identity/oauth2/token"));
        Assert.StartsWith(LoopbackOnlyHttp.Refusal, refused.Message);
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
