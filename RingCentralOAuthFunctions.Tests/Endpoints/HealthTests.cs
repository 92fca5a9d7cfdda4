using System.Net;
using System.Text.Json;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Endpoints;

public sealed class HealthTests
{
    [Fact]
    public async Task Configured_service_is_healthy()
    {
        await using var host = await ServiceHost.StartAsync();
        using var response = await host.Client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Missing_and_malformed_settings_are_named_never_shown()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["RingCentral:ClientSecret"] = null,
            ["RingCentral:ClientId"] = "",
            ["OAuth:StateKey"] = "too-short-but-secret-looking-value",
            ["OAuth:CallbackUrl"] = "not a url",
        });

        using var response = await host.Client.GetAsync("/api/health");
        var text = await response.Content.ReadAsStringAsync();
        var problems = JsonDocument.Parse(text).RootElement.GetProperty("problems").EnumerateArray()
            .ToDictionary(p => p.GetProperty("setting").GetString()!, p => p.GetProperty("problem").GetString()!);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(["OAuth:CallbackUrl", "OAuth:StateKey", "RingCentral:ClientId", "RingCentral:ClientSecret"], problems.Keys.Order());
        Assert.Equal("missing", problems["RingCentral:ClientSecret"]);
        Assert.StartsWith("malformed", problems["OAuth:StateKey"]);
        Assert.DoesNotContain("too-short-but-secret-looking-value", text);
    }

    [Fact]
    public async Task Each_problem_is_one_log_line_at_start()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Supabase:ServiceRoleKey"] = null });
        await Task.Delay(200); // the start-up check runs in the background
        var line = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Name == "SettingProblem");
        Assert.Contains("Supabase:ServiceRoleKey", line.Message);
    }

    [Fact]
    public async Task Unconfigured_service_answers_503_json_and_error_redirects_not_500()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["RingCentral:ClientSecret"] = null });
        using var authUrl = await host.Client.SendAsync(host.Authorized(HttpMethod.Post, "/api/ringcentral/auth-url", host.Supabase.MintAccessToken(Guid.NewGuid())));
        var callback = await host.CallbackAsync("/api/ringcentral/callback?code=c&state=s");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, authUrl.StatusCode);
        Assert.Contains("\"error\"", await authUrl.Content.ReadAsStringAsync());
        Assert.Equal(CallbackMessages.NotConfigured, callback.Message);
    }
}
