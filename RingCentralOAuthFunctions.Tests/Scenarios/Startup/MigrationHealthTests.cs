using System.Net;
using System.Text.Json;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.Tests.Database;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Scenarios.Startup;

/// <summary>A Supabase project without this service's migration: Health names the file to apply, and Complete sends nothing.</summary>
public sealed class MigrationHealthTests
{
    [Fact]
    public async Task Health_names_the_missing_migration_by_its_file()
    {
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.MigrationApplied = false;
        await using var host = await ServiceHost.StartAsync(supabase: supabase);

        using var response = await host.Client.GetAsync("/api/health");
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var problems = root.GetProperty("problems").EnumerateArray()
            .ToDictionary(p => p.GetProperty("setting").GetString()!, p => p.GetProperty("problem").GetString()!);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("supabase/migrations/" + FakeSupabase.Migration + ".sql", problems["Supabase:Url"]);
        Assert.Contains("PGRST202", problems["Supabase:Url"]);
        Assert.True(File.Exists(Path.Combine(PostgresFixture.MigrationsDirectory, FakeSupabase.Migration + ".sql")), "the file Health names is the one in supabase/migrations");
    }

    [Fact]
    public async Task Without_the_migration_complete_is_503_and_nothing_is_sent_to_ringcentral()
    {
        var supabase = await FakeSupabase.StartNewAsync();
        supabase.MigrationApplied = false;
        await using var host = await ServiceHost.StartAsync(supabase: supabase);
        var user = Guid.NewGuid();
        var callback = await host.CallbackAsync(await host.AuthorizeAsync(await host.GetAuthUrlAsync(user)));

        var outcome = await host.CompleteAsync(user, callback.Ticket);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, outcome.StatusCode);
        Assert.Empty(host.RingCentral.RequestsTo("POST", "/restapi/oauth/token"));
    }
}
