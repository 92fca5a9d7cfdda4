using System.Text.Json;
using System.Net;
using RingCentralOAuthFunctions.FunctionsTestHost;

namespace RingCentralOAuthFunctions.Tests.FunctionsHost;

/// <summary>
/// The test host itself: the worker is launched and loaded as the Functions host does it, requests reach the right
/// function, WorkerTerminate ends the worker, and a worker that dies or never connects fails with its output.
/// </summary>
public sealed class FunctionsTestHostTests(FunctionsAppFixture fixture) : IClassFixture<FunctionsAppFixture>
{
    private FunctionsAppHost App => fixture.Host;

    [Fact]
    public void The_worker_indexes_and_loads_all_seven_functions_with_their_routes_and_offers_its_own_http_server()
    {
        var routes = App.Host.Channel.Functions.Select(f => $"{f.Route} {f.Name} {f.TriggerBinding} {f.AuthLevel}").Order().ToList();

        Assert.Equal(
        [
            "health Health request anonymous",
            "health/details HealthDetails request function",
            "ringcentral/auth-url GetAuthUrl request anonymous",
            "ringcentral/callback Callback request anonymous",
            "ringcentral/complete Complete request anonymous",
            "ringcentral/disconnect Disconnect request anonymous",
            "ringcentral/status Status request anonymous",
        ], routes);
        // Every function takes the common methods, so a wrong one gets the function's 405 JSON, not the host's bare 404.
        Assert.All(App.Host.Channel.Functions, f => Assert.Equal(["DELETE", "GET", "PATCH", "POST", "PUT"], f.Methods.Order()));
        Assert.Equal(7, App.Host.Channel.Functions.Select(f => f.FunctionId).Where(id => id.Length > 0).Distinct().Count());
        var httpUri = App.Host.Channel.HttpUri!;
        Assert.True(httpUri.Host == "localhost" || IPAddress.IsLoopback(IPAddress.Parse(httpUri.Host)), httpUri.ToString());
    }

    [Theory]
    [InlineData("OPTIONS", "/api/ringcentral/auth-url")] // a method no function lists (not a CORS preflight: no Origin)
    [InlineData("HEAD", "/api/health")]                // the host does not map HEAD to GET
    [InlineData("GET", "/api/ringcentral")]            // no such route
    [InlineData("GET", "/health")]                     // route without the prefix of host.json
    public async Task A_request_that_matches_no_function_is_404_and_invokes_nothing(string method, string path)
    {
        var logsBefore = App.Host.Channel.Logs.Count;
        using var response = await App.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(App.Host.Channel.Logs.Skip(logsBefore), l => l.Message.Contains("Executing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_request_is_one_invocation_paired_with_the_forwarded_request()
    {
        var failedBefore = App.Host.Channel.FailedInvocations.Count;
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await App.Client.GetAsync("/api/health");
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }));

        Assert.True(answers.All(a => a.StatusCode == HttpStatusCode.OK
                                     && JsonDocument.Parse(a.Item2).RootElement.GetProperty("status").GetString() == "ok"),
            string.Join('\n', App.Host.WorkerLogLines()));
        Assert.Equal(failedBefore, App.Host.Channel.FailedInvocations.Count);
    }

    [Fact]
    public async Task WorkerTerminate_ends_the_worker_by_itself_within_the_grace_period()
    {
        var host = await FunctionsAppHost.StartAsync();
        var worker = host.Host.Worker;
        using (var response = await host.Client.GetAsync("/api/health")) Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await host.DisposeAsync();

        Assert.True(worker.HasExited);
        Assert.True(worker.ExitCode == 0, worker.Describe()); // 0: it stopped on WorkerTerminate; a kill after the grace period would be 137
    }

    [Fact]
    public async Task A_worker_that_dies_at_launch_fails_start_with_its_output()
    {
        var error = await Assert.ThrowsAsync<WorkerStartException>(() => FunctionsTestHost.FunctionsTestHost.StartAsync(new FunctionsTestHostOptions
        {
            AppDirectory = FunctionsAppHost.AppDirectory,
            WorkerDll = "NoSuchWorker.dll",
        }));

        Assert.Contains("exited", error.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchWorker.dll", error.Message, StringComparison.Ordinal); // dotnet's own complaint, from the worker's output
    }

    [Fact]
    public async Task A_worker_that_never_connects_fails_start_with_its_output()
    {
        var closedPort = FunctionsTestHost.FunctionsTestHost.FreePort();
        var error = await Assert.ThrowsAsync<WorkerStartException>(() => FunctionsTestHost.FunctionsTestHost.StartAsync(new FunctionsTestHostOptions
        {
            AppDirectory = FunctionsAppHost.AppDirectory,
            StartTimeout = TimeSpan.FromSeconds(20),
            AdjustArguments = args => [.. args.Select(a => a.Replace(":" + PortOf(args) + "/", $":{closedPort}/", StringComparison.Ordinal)
                .Replace(PortOf(args), closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))],
        }));

        Assert.Matches("exited|did not connect", error.Message);
        Assert.Contains("its output:", error.Message, StringComparison.Ordinal);
    }

    private static string PortOf(IReadOnlyList<string> args) => args[args.ToList().IndexOf("--port") + 1];
}
