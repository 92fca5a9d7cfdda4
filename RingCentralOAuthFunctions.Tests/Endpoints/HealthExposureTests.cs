using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RingCentralOAuthFunctions.LocalHost;
using RingCentralOAuthFunctions.Tests.Framework;
using RingCentralOAuthFunctions.Tests.FunctionsHost;

namespace RingCentralOAuthFunctions.Tests.Endpoints;

/// <summary>
/// Issue 20 item 3: anonymous Health answers only <c>{"status":…}</c> with 200/503; the problem list needs the
/// function key on the Functions app (<c>GET /api/health/details</c>, <c>AuthorizationLevel.Function</c>, enforced by
/// the host: our test host does it as Azure's does) or a caller on this machine on the local host.
/// </summary>
public sealed class HealthExposureTests
{
    private static readonly Dictionary<string, string?> MissingSecret = new() { ["RingCentral:ClientSecret"] = null };

    [Fact]
    public async Task Functions_app_anonymous_health_is_only_the_status_and_the_list_needs_the_function_key()
    {
        await using var app = await FunctionsAppHost.StartAsync(MissingSecret);

        using (var anonymous = await app.Client.GetAsync("/api/health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, anonymous.StatusCode);
            Assert.Equal("""{"status":"unhealthy"}""", await anonymous.Content.ReadAsStringAsync());
            Assert.Equal("no-store", anonymous.Headers.CacheControl?.ToString());
        }

        foreach (var path in new[] { "/api/health/details", "/api/health/details?code=not-the-key" })
        {
            using var refused = await app.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.DoesNotContain("RingCentral:ClientSecret", await refused.Content.ReadAsStringAsync());
        }

        using (var byQuery = await app.Client.GetAsync("/api/health/details?code=" + Uri.EscapeDataString(app.Host.HostKey)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, byQuery.StatusCode);
            Assert.Equal("missing", Problems(await byQuery.Content.ReadAsStringAsync())["RingCentral:ClientSecret"]);
        }

        using var byHeader = new HttpRequestMessage(HttpMethod.Get, "/api/health/details");
        byHeader.Headers.Add("x-functions-key", app.Host.HostKey);
        using var answer = await app.Client.SendAsync(byHeader);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Contains("RingCentral:ClientSecret", Problems(await answer.Content.ReadAsStringAsync()).Keys);
    }

    [Fact]
    public async Task Functions_app_healthy_answers_200_ok_to_anyone()
    {
        await using var app = await FunctionsAppHost.StartAsync();
        using var anonymous = await app.Client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await anonymous.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Local_host_names_the_problems_to_a_caller_on_this_machine()
    {
        await using var host = await ServiceHost.StartAsync(MissingSecret);
        foreach (var path in new[] { "/api/health", "/api/health/details" })
        {
            using var response = await host.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("missing", Problems(await response.Content.ReadAsStringAsync())["RingCentral:ClientSecret"]);
        }
    }

    [Fact]
    public async Task Local_host_answers_a_caller_off_this_machine_only_the_status()
    {
        await using var host = await ServiceHost.StartAsync(MissingSecret);

        var (status, body, cacheControl) = await CallFromAsync(host, "/api/health", "203.0.113.7");
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal("""{"status":"unhealthy"}""", body);
        Assert.Equal("no-store", cacheControl);

        (status, body, _) = await CallFromAsync(host, "/api/health/details", "203.0.113.7");
        Assert.Equal(StatusCodes.Status403Forbidden, status);
        Assert.DoesNotContain("RingCentral:ClientSecret", body);
        Assert.True(JsonDocument.Parse(body).RootElement.TryGetProperty("error", out _), body);

        // The same in-process call from loopback gets the list: the address is what decides.
        (status, body, _) = await CallFromAsync(host, "/api/health/details", "::1");
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Contains("RingCentral:ClientSecret", body);
    }

    [Fact]
    public void A_broken_local_settings_file_is_named_by_its_file_name_never_its_path()
    {
        var directory = Directory.CreateTempSubdirectory("rcoauth-settings-");
        try
        {
            var file = Path.Combine(directory.FullName, "local.settings.json");
            File.WriteAllText(file, """{ "Values": { "OAuth__StateKey": "secret-value" """);
            var problem = LocalHostApp.AddLocalSettingsFile(new ConfigurationBuilder(), file);
            Assert.NotNull(problem);
            Assert.Equal("local.settings.json", problem.Name);
            Assert.DoesNotContain(directory.FullName, problem.Problem);
            Assert.DoesNotContain("/", problem.Problem);
            Assert.DoesNotContain("secret-value", problem.Problem);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Runs the local host's own endpoint for <paramref name="path"/> as if the request came from <paramref name="remoteAddress"/>.</summary>
    private static async Task<(int Status, string Body, string? CacheControl)> CallFromAsync(ServiceHost host, string path, string remoteAddress)
    {
        var endpoint = ((IEndpointRouteBuilder)host.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Single(e => "/" + e.RoutePattern.RawText?.TrimStart('/') == path && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains("GET") == true);
        await using var scope = host.App.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "GET";
        context.Request.Path = path;
        context.Connection.RemoteIpAddress = IPAddress.Parse(remoteAddress);
        context.Connection.LocalIpAddress = IPAddress.Loopback;
        context.SetEndpoint(endpoint);
        using var body = new MemoryStream();
        context.Response.Body = body;
        await endpoint.RequestDelegate!(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(body.ToArray()), context.Response.Headers.CacheControl.ToString());
    }

    private static Dictionary<string, string> Problems(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("problems").EnumerateArray()
            .GroupBy(p => p.GetProperty("setting").GetString()!).ToDictionary(g => g.Key, g => g.First().GetProperty("problem").GetString()!);
}
