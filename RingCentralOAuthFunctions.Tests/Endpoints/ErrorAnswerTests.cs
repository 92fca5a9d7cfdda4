using System.Net;
using System.Text.Json;
using RingCentralOAuthFunctions.Tests.Framework;
using RingCentralOAuthFunctions.Tests.FunctionsHost;
using RingCentralOAuthFunctions.Tests.PropertyBased;

namespace RingCentralOAuthFunctions.Tests.Endpoints;

/// <summary>
/// Issue 20 item 4: every API answer is JSON with <c>Cache-Control: no-store</c>, the server's own refusals included:
/// 404 (no such route), 405 (a route with another method), 414 (request line) and 431 (headers) on the local host;
/// 405 on the Functions app, whose functions take every common method and refuse the wrong one themselves. What Azure
/// answers before the app (404, 414, 431 there) is in the README.
/// </summary>
public sealed class ErrorAnswerTests
{
    private static void AssertJsonError(int status, int expected, IReadOnlyDictionary<string, string> headers, string body)
    {
        Assert.Equal(expected, status);
        Assert.Equal("no-store", headers.GetValueOrDefault("Cache-Control"));
        Assert.StartsWith("application/json", headers.GetValueOrDefault("Content-Type"));
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();
        Assert.False(string.IsNullOrWhiteSpace(error), body);
    }

    private static async Task<(int Status, Dictionary<string, string> Headers, string Body)> SendAsync(IServiceUnderTest service, HttpMethod method, string path)
    {
        using var response = await service.Client.SendAsync(new HttpRequestMessage(method, path));
        var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
        return ((int)response.StatusCode, headers, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/nothing-here")]
    [InlineData("/api/ringcentral")]
    [InlineData("/")]
    public async Task Local_host_an_unknown_route_is_404_json_no_store(string path)
    {
        await using var host = await ServiceHost.StartAsync();
        var (status, headers, body) = await SendAsync(host, HttpMethod.Get, path);
        AssertJsonError(status, 404, headers, body);
    }

    public static TheoryData<string, string, string> WrongMethods => new()
    {
        { "GET", "/api/ringcentral/auth-url", "POST" },
        { "POST", "/api/health", "GET" },
        { "DELETE", "/api/ringcentral/status", "GET" },
        { "PUT", "/api/ringcentral/complete", "POST" },
    };

    [Theory]
    [MemberData(nameof(WrongMethods))]
    public async Task Local_host_a_wrong_method_is_405_json_no_store_with_allow(string method, string path, string allow)
    {
        await using var host = await ServiceHost.StartAsync();
        var (status, headers, body) = await SendAsync(host, new HttpMethod(method), path);
        AssertJsonError(status, 405, headers, body);
        Assert.Equal(allow, headers.GetValueOrDefault("Allow"));
    }

    [Fact]
    public async Task Local_host_a_request_line_over_8_kb_is_414_json_no_store()
    {
        await using var host = await ServiceHost.StartAsync();
        var answer = await RawHttp.SendAsync(host.BaseUrl, "GET", "/api/ringcentral/callback?pad=" + new string('x', 9 * 1024));
        AssertJsonError(answer.Status, 414, answer.Headers, answer.Body);
    }

    [Fact]
    public async Task Local_host_headers_over_32_kb_are_431_json_no_store()
    {
        await using var host = await ServiceHost.StartAsync();
        var padding = Enumerable.Range(0, 40).Select(i => ($"X-Padding-{i}", new string('p', 1024)));
        var answer = await RawHttp.SendAsync(host.BaseUrl, "GET", "/api/health", padding);
        AssertJsonError(answer.Status, 431, answer.Headers, answer.Body);
    }

    [Fact]
    public async Task Local_host_more_than_100_headers_are_431_json_no_store()
    {
        await using var host = await ServiceHost.StartAsync();
        var many = Enumerable.Range(0, 120).Select(i => ($"X-H-{i}", "v"));
        var answer = await RawHttp.SendAsync(host.BaseUrl, "GET", "/api/health", many);
        AssertJsonError(answer.Status, 431, answer.Headers, answer.Body);
    }

    [Fact]
    public async Task Functions_app_a_wrong_method_is_405_json_no_store_with_allow()
    {
        await using var app = await FunctionsAppHost.StartAsync();
        foreach (var (method, path, allow) in new[] { ("GET", "/api/ringcentral/auth-url", "POST"), ("POST", "/api/health", "GET"), ("DELETE", "/api/ringcentral/status", "GET") })
        {
            var (status, headers, body) = await SendAsync(app, new HttpMethod(method), path);
            AssertJsonError(status, 405, headers, body);
            Assert.Equal(allow, headers.GetValueOrDefault("Allow"));
        }
    }
}
