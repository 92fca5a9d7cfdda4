using System.Security.Cryptography;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;

namespace RingCentralOAuthFunctions.Tests.Health;

/// <summary>
/// Status's settings: <c>RingCentral:SyncStaleAfter</c> (malformed = a setting problem, like any other), and the shared
/// JWT credential as all three settings or none (a partial set switches the feature off and Health names it).
/// </summary>
public sealed class StatusSettingsTests
{
    private static Dictionary<string, string?> Good() => new()
    {
        ["RingCentral:ServerUrl"] = "https://platform.devtest.ringcentral.com",
        ["RingCentral:ClientId"] = "client-id",
        ["RingCentral:ClientSecret"] = "client-secret",
        ["Supabase:Url"] = "https://abcdefgh.supabase.co",
        ["Supabase:ServiceRoleKey"] = "sb_secret_value",
        ["OAuth:CallbackUrl"] = "https://fn.example.net/api/ringcentral/callback",
        ["OAuth:AppRedirectUrl"] = "https://erp.rebar.shop/integrations/callback",
        ["OAuth:StateKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Cors:AllowedOrigins"] = "https://erp.rebar.shop",
    };

    private static async Task<IReadOnlyList<SettingProblem>> ProblemsWith(params (string Key, string? Value)[] changes)
    {
        var values = Good();
        foreach (var (key, value) in changes) values[key] = value;
        return await SettingsCheckTests.Check(values).FindProblemsAsync(default);
    }

    private const string Jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.secret-signature-value";

    [Fact]
    public async Task Without_the_new_settings_nothing_is_a_problem() => Assert.Empty(await ProblemsWith());

    [Fact]
    public async Task All_three_shared_jwt_settings_together_are_fine() =>
        Assert.Empty(await ProblemsWith(("RingCentral:SharedJwt", Jwt), ("RingCentral:SharedJwtClientId", "jwt-client"), ("RingCentral:SharedJwtClientSecret", "jwt-secret-value")));

    [Theory]
    [InlineData("RingCentral:SharedJwt")]
    [InlineData("RingCentral:SharedJwtClientId")]
    [InlineData("RingCentral:SharedJwtClientSecret")]
    public async Task A_partial_shared_jwt_credential_names_the_missing_setting_and_never_a_value(string left)
    {
        var all = new Dictionary<string, string?>
        {
            ["RingCentral:SharedJwt"] = Jwt, ["RingCentral:SharedJwtClientId"] = "jwt-client", ["RingCentral:SharedJwtClientSecret"] = "jwt-secret-value",
        };
        all[left] = null;

        var values = Good();
        foreach (var (key, value) in all) values[key] = value;
        var check = SettingsCheckTests.Check(values);

        Assert.Empty(await check.FindProblemsAsync(default)); // the service keeps answering
        var problem = Assert.Single(await check.FindFeatureProblemsAsync(default)); // Health names it
        Assert.Equal(left, problem.Name);
        Assert.StartsWith("missing", problem.Problem);
        Assert.DoesNotContain("secret-signature", problem.Problem);
        Assert.DoesNotContain("jwt-secret-value", problem.Problem);
    }

    [Fact]
    public async Task No_or_all_shared_jwt_settings_are_no_feature_problem()
    {
        Assert.Empty(await SettingsCheckTests.Check(Good()).FindFeatureProblemsAsync(default));
        var all = Good();
        (all["RingCentral:SharedJwt"], all["RingCentral:SharedJwtClientId"], all["RingCentral:SharedJwtClientSecret"]) = (Jwt, "jwt-client", "jwt-secret-value");
        Assert.Empty(await SettingsCheckTests.Check(all).FindFeatureProblemsAsync(default));
    }

    [Fact]
    public async Task A_placeholder_shared_jwt_is_named()
    {
        var problems = await ProblemsWith(("RingCentral:SharedJwt", "<the JWT>"), ("RingCentral:SharedJwtClientId", "jwt-client"), ("RingCentral:SharedJwtClientSecret", "jwt-secret-value"));
        Assert.Equal("RingCentral:SharedJwt", Assert.Single(problems).Name);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("00:00:00")]
    [InlineData("-12:00:00")]
    [InlineData("<12:00:00>")]
    public async Task A_malformed_sync_stale_after_is_named(string value)
    {
        var problem = Assert.Single(await ProblemsWith(("RingCentral:SyncStaleAfter", value)));
        Assert.Equal(SyncStaleness.SettingName, problem.Name);
    }

    [Theory]
    [InlineData("12:00:00")]
    [InlineData("2.00:00:00")]
    [InlineData("")]
    public async Task A_well_formed_sync_stale_after_is_fine(string value) => Assert.Empty(await ProblemsWith(("RingCentral:SyncStaleAfter", value)));
}
