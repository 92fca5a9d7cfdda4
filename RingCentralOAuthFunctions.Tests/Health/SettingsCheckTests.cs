using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.Tests.Health;

/// <summary>The settings check on its own: what counts as a problem, and that problems name settings and positions, never values.</summary>
public sealed class SettingsCheckTests
{
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static Dictionary<string, string?> Good() => new()
    {
        ["RingCentral:ServerUrl"] = "https://platform.devtest.ringcentral.com",
        ["RingCentral:ClientId"] = "client-id",
        ["RingCentral:ClientSecret"] = "client-secret",
        ["Supabase:Url"] = "https://abcdefgh.supabase.co",
        ["Supabase:ServiceRoleKey"] = "sb_secret_value",
        ["OAuth:CallbackUrl"] = "https://fn.example.net/api/ringcentral/callback",
        ["OAuth:AppRedirectUrl"] = "https://erp.rebar.shop/integrations/callback",
        ["OAuth:StateKey"] = Key,
        ["Cors:AllowedOrigins"] = "https://erp.rebar.shop",
    };

    internal static SettingsCheck Check(IDictionary<string, string?> values, params StartupProblem[] startupProblems)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        T Bind<T>(string section) where T : new() => configuration.GetSection(section).Get<T>() ?? new T();
        return new SettingsCheck(
            Options.Create(Bind<RingCentralOptions>(RingCentralOptions.Section)),
            Options.Create(Bind<SupabaseOptions>(SupabaseOptions.Section)),
            Options.Create(Bind<OAuthOptions>(OAuthOptions.Section)),
            Options.Create(Bind<CorsOptions>(CorsOptions.Section)),
            Options.Create(Bind<KeyVaultOptions>(KeyVaultOptions.Section)),
            startupProblems,
            new ConfigurationSecretSource(configuration),
            new FakeTimeProvider());
    }

    private static async Task<IReadOnlyList<SettingProblem>> ProblemsWith(params (string Key, string? Value)[] changes)
    {
        var values = Good();
        foreach (var (key, value) in changes) values[key] = value;
        return await Check(values).FindProblemsAsync(default);
    }

    [Fact]
    public async Task Good_settings_have_no_problems() => Assert.Empty(await ProblemsWith());

    [Theory]
    [InlineData("Supabase:Url", "http://abcdefgh.supabase.co")]
    [InlineData("RingCentral:ServerUrl", "http://platform.ringcentral.com")]
    [InlineData("OAuth:CallbackUrl", "http://fn.example.net/api/ringcentral/callback")]
    public async Task Plain_http_to_a_real_host_is_a_problem_naming_the_setting(string setting, string value)
    {
        var problem = Assert.Single(await ProblemsWith((setting, value)));
        Assert.Equal(setting, problem.Name);
        Assert.Equal(SettingsCheck.NotHttps, problem.Problem);
        Assert.DoesNotContain(value, problem.Problem);
    }

    [Fact]
    public async Task A_plain_http_app_redirect_url_on_a_real_host_is_a_problem_the_ticket_would_travel_in_clear()
    {
        var problem = Assert.Single(await ProblemsWith(("OAuth:AppRedirectUrl", "http://erp.rebar.shop/integrations/callback")));
        Assert.Equal("OAuth:AppRedirectUrl", problem.Name);
        Assert.Equal(SettingsCheck.NotHttps, problem.Problem);
    }

    [Fact]
    public async Task A_plain_http_app_redirect_url_on_loopback_is_allowed() =>
        Assert.Empty(await ProblemsWith(("OAuth:AppRedirectUrl", "http://127.0.0.1:5173/integrations/callback")));

    public static TheoryData<string, byte[]> WeakKeys => new()
    {
        { "all zero", new byte[32] },
        { "one byte repeated", Enumerable.Repeat((byte)0x5a, 32).ToArray() },
        { "15 distinct values", Enumerable.Range(0, 32).Select(i => (byte)(i % 15 * 17)).ToArray() },
        { "text-like", "aaaaaaaabbbbbbbbccccccccdddddddd"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(WeakKeys))]
    public async Task A_state_key_with_fewer_than_16_distinct_byte_values_is_a_problem_never_shown(string what, byte[] key)
    {
        var weak = Convert.ToBase64String(key);
        var problem = Assert.Single(await ProblemsWith(("OAuth:StateKey", weak)));
        Assert.Equal("OAuth:StateKey", problem.Name);
        Assert.Contains("weak", problem.Problem);
        Assert.DoesNotContain(weak, problem.Problem);
        Assert.NotNull(what);
    }

    [Fact]
    public async Task A_weak_key_in_a_rotation_list_is_named_by_position()
    {
        var problem = Assert.Single(await ProblemsWith(("OAuth:StateKey", $"{Key},{Convert.ToBase64String(new byte[32])}")));
        Assert.Contains("key 2 of 2", problem.Problem);
        Assert.Contains("weak", problem.Problem);
    }

    [Fact]
    public async Task A_key_repeated_in_the_ring_is_a_problem_named_by_both_positions_never_by_value()
    {
        var other = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var problem = Assert.Single(await ProblemsWith(("OAuth:StateKey", $"{Key},{other},{Key}")));
        Assert.Equal("OAuth:StateKey", problem.Name);
        Assert.Contains("key 3 of 3", problem.Problem);
        Assert.Contains("key 1", problem.Problem);
        Assert.DoesNotContain(Key, problem.Problem);
    }

    [Fact]
    public void Sixteen_distinct_byte_values_are_enough_and_random_keys_always_are()
    {
        Assert.True(RingCentralOAuthFunctions.State.StateKeyRing.TryParse(
            Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i % 16)).ToArray()), out var sixteen));
        Assert.Empty(sixteen.Weaknesses());
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(RingCentralOAuthFunctions.State.StateKeyRing.TryParse(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), out var ring));
            Assert.Empty(ring.Weaknesses());
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:54321")]
    [InlineData("http://localhost:54321")]
    [InlineData("http://[::1]:54321")]
    public async Task Plain_http_is_allowed_for_loopback_hosts(string url) =>
        Assert.Empty(await ProblemsWith(("Supabase:Url", url), ("RingCentral:ServerUrl", url), ("OAuth:CallbackUrl", url + "/api/ringcentral/callback")));

    [Theory]
    [InlineData("RingCentral:ClientId", "<RingCentral app client id>")]
    [InlineData("RingCentral:ClientSecret", "<RingCentral app client secret>")]
    [InlineData("Supabase:Url", "https://<project-ref>.supabase.co")]
    [InlineData("Supabase:ServiceRoleKey", "<service_role JWT or sb_secret_ key>")]
    [InlineData("OAuth:StateKey", "<openssl rand -base64 32>")]
    [InlineData("RingCentral:ClientId", "<ringcentral-client-id>")]
    public async Task Placeholders_from_the_sample_files_are_problems(string setting, string placeholder)
    {
        var problem = Assert.Single(await ProblemsWith((setting, placeholder)));
        Assert.Equal(setting, problem.Name);
        Assert.Equal(SettingsCheck.Placeholder, problem.Problem);
    }

    [Fact]
    public async Task Every_placeholder_in_the_sample_settings_file_is_caught()
    {
        var sample = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "local.settings.sample.json")));
        var values = Good();
        foreach (var property in sample.RootElement.GetProperty("Values").EnumerateObject())
            if (property.Value.GetString() is { } v && v.Contains('<')) values[property.Name.Replace("__", ":")] = v;

        var named = (await Check(values).FindProblemsAsync(default)).Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "RingCentral:ClientId", "RingCentral:ClientSecret", "Supabase:Url", "Supabase:ServiceRoleKey", "OAuth:StateKey" }, named);
    }

    [Theory]
    [InlineData("https://abcdefgh.supabase.co/rest/v1")]
    [InlineData("https://abcdefgh.supabase.co/auth/v1/")]
    public async Task A_supabase_url_with_a_path_is_a_problem(string url)
    {
        var problem = Assert.Single(await ProblemsWith(("Supabase:Url", url)));
        Assert.Equal("Supabase:Url", problem.Name);
        Assert.Contains("path", problem.Problem);
    }

    [Fact]
    public async Task Bad_cors_entries_are_named_by_position_never_by_value()
    {
        var problems = await ProblemsWith(("Cors:AllowedOrigins", "https://erp.rebar.shop,https://secret-staging.example/path,https://ok.example,ftp//bad-origin-value"));
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.Equal("Cors:AllowedOrigins", p.Name));
        Assert.Contains("entry 2 of 4", problems[0].Problem);
        Assert.Contains("entry 4 of 4", problems[1].Problem);
        Assert.DoesNotContain(problems, p => p.Problem.Contains("secret-staging") || p.Problem.Contains("bad-origin-value"));
    }

    [Fact]
    public async Task A_bad_key_in_a_rotation_list_is_named_by_position_never_by_value()
    {
        const string bad = "c2hvcnQta2V5LXZhbHVl";
        var problem = Assert.Single(await ProblemsWith(("OAuth:StateKey", $"{Key},{bad}")));
        Assert.Equal("OAuth:StateKey", problem.Name);
        Assert.Contains("key 2 of 2", problem.Problem);
        Assert.DoesNotContain(bad, problem.Problem);
        Assert.DoesNotContain(Key, problem.Problem);
    }

    [Fact]
    public async Task A_malformed_key_vault_uri_is_a_problem_naming_the_setting()
    {
        var problem = Assert.Single(await ProblemsWith(("KeyVault:Uri", "not-a-uri")));
        Assert.Equal("KeyVault:Uri", problem.Name);
    }

    [Fact]
    public async Task Startup_problems_are_reported_with_the_others()
    {
        var problems = await Check(Good(), new StartupProblem("local.settings.json", "not valid JSON")).FindProblemsAsync(default);
        Assert.Equal("local.settings.json", Assert.Single(problems).Name);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "local.settings.sample.json"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
