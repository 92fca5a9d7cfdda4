using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.LocalHost.Demo;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Demo;

/// <summary>Demo mode's guard rails (explicit flag, loopback only, no real upstreams) and its demo-only calls, over real HTTP.</summary>
public sealed class DemoModeTests
{
    [Theory]
    [InlineData("RingCentral:ServerUrl", "https://platform.devtest.ringcentral.com")]
    [InlineData("Supabase:Url", "https://abcdefgh.supabase.co")]
    [InlineData("KeyVault:Uri", "https://kv-rcoauth.vault.azure.net/")]
    public async Task Real_upstream_settings_refuse_to_start_with_a_message_naming_the_setting_and_a_non_zero_exit(string setting, string value)
    {
        var port = DemoHost.FreePort();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await DemoProgram.RunAsync([$"--{setting}={value}", "--urls", $"http://127.0.0.1:{port}"], output, error);

        Assert.Equal(DemoProgram.RefusedExitCode, exit);
        Assert.StartsWith("DEMO mode refused to start", error.ToString());
        Assert.Contains(setting, error.ToString());
        Assert.DoesNotContain(value.TrimEnd('/'), error.ToString() + output.ToString());
        Assert.False(Listening(port));
    }

    /// <summary>As a person runs it (<c>dotnet run ... -- --demo</c>), on a port another program holds.</summary>
    [Fact]
    public async Task A_port_in_use_prints_one_clear_line_and_exits_2_without_a_stack_trace()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        var workDir = Directory.CreateTempSubdirectory("demo-port-"); // no local.settings.json there
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo(DotnetHost())
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workDir.FullName,
            };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "RingCentralOAuthFunctions.LocalHost.dll"), "--demo", "--urls", url })
                start.ArgumentList.Add(arg);
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.Contains("__", StringComparison.Ordinal)).ToList())
                start.Environment.Remove(name);

            using var process = System.Diagnostics.Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90))) await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(DemoProgram.RefusedExitCode, process.ExitCode);
            Assert.Equal(DemoProgram.PortInUseLine(url), (await stderr).Trim());
            Assert.Equal("", (await stdout).Trim());
        }
        finally
        {
            workDir.Delete(recursive: true);
        }
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    [Theory]
    [InlineData("http://0.0.0.0:7071")]
    [InlineData("http://192.168.10.20:7071")]
    [InlineData("http://[::]:7071")]
    [InlineData("http://*:7071")]
    [InlineData("https://127.0.0.1:7071")]
    [InlineData("http://127.0.0.1:7071;http://0.0.0.0:7072")]
    [InlineData("http://127.0.0.1")]
    public async Task Addresses_other_than_one_loopback_http_port_are_refused(string urls)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await DemoProgram.RunAsync(["--urls", urls], output, error);

        Assert.Equal(DemoProgram.RefusedExitCode, exit);
        Assert.Contains("loopback only", error.ToString());
    }

    [Fact]
    public void Empty_placeholder_and_loopback_values_are_not_real_upstreams()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RingCentral:ServerUrl"] = "http://127.0.0.1:5001",
            ["Supabase:Url"] = "https://<project-ref>.supabase.co",
            ["KeyVault:Uri"] = "",
        }).Build();
        var real = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Supabase:Url"] = "http://localhost.example.com:54321",
        }).Build();

        Assert.Empty(DemoSafety.RealUpstreamSettings(settings));
        Assert.Equal(["Supabase:Url"], DemoSafety.RealUpstreamSettings(settings, real));
    }

    [Fact]
    public async Task Only_the_explicit_flag_turns_demo_mode_on_and_the_normal_service_serves_no_demo_page()
    {
        Assert.Null(DemoProgram.DemoArguments(["--urls", "http://127.0.0.1:7071", "--demo=true", "demo"]));
        Assert.Equal(["--urls", "http://127.0.0.1:1"], DemoProgram.DemoArguments(["--demo", "--urls", "http://127.0.0.1:1"])!);

        await using var host = await ServiceHost.StartAsync();
        foreach (var path in new[] { "/", "/integrations/callback", "/demo/demo-page.js", "/demo/rows" })
        {
            using var response = await host.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var signIn = await host.Client.PostAsJsonAsync("/demo/sign-in", new { user = "hank" });
        Assert.Equal(HttpStatusCode.NotFound, signIn.StatusCode);
    }

    [Fact]
    public void The_functions_app_does_not_contain_the_demo_nor_the_stand_ins()
    {
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(Browser.FrontEndModule.SourceDirectory, "..", "..",
            "RingCentralOAuthFunctions", "RingCentralOAuthFunctions.csproj"));
        var references = project.Descendants("ProjectReference").Select(r => (string?)r.Attribute("Include") ?? "").ToList();

        Assert.NotEmpty(references);
        Assert.DoesNotContain(references, r => r.Contains("LocalHost", StringComparison.Ordinal) || r.Contains("Fakes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_demo_serves_the_real_service_healthy_with_pages_labelled_demo_and_tokens_its_supabase_signed()
    {
        await using var demo = await DemoHost.StartAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(demo.BaseUrl) };

        using var health = await client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        foreach (var path in new[] { "/", "/integrations", "/integrations/callback" })
        {
            using var page = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("DEMO", await page.Content.ReadAsStringAsync());
            Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        }

        // The front-end module is served as the file in docs/frontend, byte for byte.
        using var module = await client.GetAsync("/demo/ringcentralOAuth.js");
        Assert.Equal(HttpStatusCode.OK, module.StatusCode);
        Assert.Equal(Browser.FrontEndModule.Read(), await module.Content.ReadAsStringAsync());
        using var unknown = await client.GetAsync("/demo/appsettings.json");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // Sign-in: an ES256 token from the Supabase stand-in, which the service checks against that stand-in's JWKS.
        using var signIn = await client.PostAsJsonAsync("/demo/sign-in", new { user = "ivy" });
        var token = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        Assert.Equal("ES256", JsonDocument.Parse(Base64UrlDecode(token.Split('.')[0])).RootElement.GetProperty("alg").GetString());
        using var status = new HttpRequestMessage(HttpMethod.Get, "/api/ringcentral/status");
        status.Headers.Authorization = new("Bearer", token);
        using var statusResponse = await client.SendAsync(status);
        Assert.Equal(HttpStatusCode.OK, statusResponse.StatusCode);
        Assert.Equal("not_connected", (await statusResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        using var stranger = await client.PostAsJsonAsync("/demo/sign-in", new { user = "mallory" });
        Assert.Equal(HttpStatusCode.BadRequest, stranger.StatusCode);

        // The authorize link leads to the RingCentral stand-in's consent page, also labelled DEMO.
        using var authUrl = new HttpRequestMessage(HttpMethod.Post, "/api/ringcentral/auth-url");
        authUrl.Headers.Authorization = new("Bearer", token);
        using var authUrlResponse = await client.SendAsync(authUrl);
        var link = (await authUrlResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("authUrl").GetString()!;
        Assert.StartsWith(demo.RingCentral.Url, link);
        using var consent = await client.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        var consentPage = await consent.Content.ReadAsStringAsync();
        Assert.Contains("DEMO", consentPage);
        Assert.All(DemoUsers.All, user => Assert.Contains(user.Email, consentPage));
    }

    [Fact]
    public async Task The_rows_view_shows_both_users_rows_with_tokens_shortened()
    {
        await using var demo = await DemoHost.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(demo.BaseUrl) };
        const string refresh = "rc-rt-0123456789ABCDEF0123456789ABCDEF", access = "rc-at-FEDCBA9876543210FEDCBA9876543210";
        demo.Supabase.Seed(FakeSupabase.TokensTable, new JsonObject
        {
            ["user_id"] = DemoUsers.Hank.Id.ToString(), ["rc_email"] = "hank@rebar.demo", ["refresh_token"] = refresh, ["access_token"] = access,
        });

        var body = await client.GetStringAsync("/demo/rows");

        Assert.DoesNotContain(refresh, body);
        Assert.DoesNotContain(access, body);
        var rows = JsonNode.Parse(body)!.AsArray();
        Assert.Equal(["hank", "ivy"], rows.Select(r => (string?)r!["key"]));
        Assert.Equal(refresh[..10] + "…", (string?)rows[0]!["tokens"]!["refresh_token"]);
        Assert.Equal(access[..10] + "…", (string?)rows[0]!["tokens"]!["access_token"]);
        Assert.Equal("hank@rebar.demo", (string?)rows[0]!["tokens"]!["rc_email"]);
        Assert.Null(rows[1]!["tokens"]);
        Assert.Null(rows[1]!["connection"]);
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
