using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Database;

/// <summary>
/// Where the shared scenarios (<see cref="RpcScenarios"/>) call the migration's functions: the real ones on PostgreSQL
/// (<see cref="PostgresRpc"/>), or the fake Supabase's (<see cref="FakeRpc"/>). Rows are read back as JSON objects with
/// the columns the ERP's other functions read.
/// </summary>
public interface IRpcTarget
{
    Task<Guid> NewUserAsync();

    /// <summary>Calls <c>public.<paramref name="function"/></c> with named arguments as the service role; its jsonb answer.</summary>
    Task<JsonNode> CallAsync(string function, JsonObject args);

    Task<JsonObject?> TokenRowAsync(Guid userId);
    Task<JsonObject?> ConnectionRowAsync(Guid userId);

    /// <summary>Writes a row as another ERP function would (the sync job, the edge function before this service).</summary>
    Task SeedTokenRowAsync(Guid userId, string rcEmail, string refreshToken);
    Task SeedConnectionRowAsync(Guid userId, string status, JsonObject config);
    Task SetConnectionStatusAsync(Guid userId, string status, string? errorMessage);
}

/// <summary>The real functions, called as PostgREST calls them: named arguments, as <c>service_role</c>.</summary>
public sealed class PostgresRpc(PostgresFixture database) : IRpcTarget
{
    private static readonly Dictionary<string, Dictionary<string, string>> ArgumentTypes = [];

    public Task<Guid> NewUserAsync() => database.NewUserAsync();

    public async Task<JsonNode> CallAsync(string function, JsonObject args)
    {
        await using var connection = await database.OpenAsAsync("service_role");
        var types = await ArgumentTypesAsync(connection, function);
        var sql = new StringBuilder($"select public.{function}(");
        await using var command = new NpgsqlCommand { Connection = connection };
        var first = true;
        foreach (var (name, value) in args)
        {
            sql.Append(first ? "" : ", ").Append($"{name} => cast(@{name} as {types[name]})");
            first = false;
            command.Parameters.AddWithValue(name, value switch
            {
                null => DBNull.Value,
                JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
                _ => value.ToJsonString(),
            });
        }

        command.CommandText = sql.Append(")::text").ToString();
        return JsonNode.Parse((string)(await command.ExecuteScalarAsync())!)!;
    }

    private static async Task<Dictionary<string, string>> ArgumentTypesAsync(NpgsqlConnection connection, string function)
    {
        lock (ArgumentTypes)
            if (ArgumentTypes.TryGetValue(function, out var known)) return known;
        await using var command = new NpgsqlCommand(
            "select unnest(p.proargnames), unnest(p.proargtypes::regtype[]::text[]) from pg_proc p where p.proname = @name and p.pronamespace = 'public'::regnamespace",
            connection);
        command.Parameters.AddWithValue("name", function);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) types[reader.GetString(0)] = reader.GetString(1);
        lock (ArgumentTypes) ArgumentTypes[function] = types;
        return types;
    }

    public Task<JsonObject?> TokenRowAsync(Guid userId) =>
        RowAsync("select to_jsonb(t)::text from public.user_ringcentral_tokens t where user_id = @user", userId);

    public Task<JsonObject?> ConnectionRowAsync(Guid userId) =>
        RowAsync("select to_jsonb(c)::text from public.integration_connections c where user_id = @user and integration_id = 'ringcentral'", userId);

    private async Task<JsonObject?> RowAsync(string sql, Guid userId)
    {
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("user", userId);
        return await command.ExecuteScalarAsync() is string text ? JsonNode.Parse(text)!.AsObject() : null;
    }

    public Task SeedTokenRowAsync(Guid userId, string rcEmail, string refreshToken) => ExecuteAsync(
        "insert into public.user_ringcentral_tokens (user_id, rc_email, refresh_token, access_token, token_expires_at) values (@user, @a, @b, 'seeded-access', now() + interval '1 hour')",
        userId, rcEmail, refreshToken);

    public Task SeedConnectionRowAsync(Guid userId, string status, JsonObject config) => ExecuteAsync(
        "insert into public.integration_connections (user_id, integration_id, status, last_sync_at, config) values (@user, 'ringcentral', @a, now(), cast(@b as jsonb))",
        userId, status, config.ToJsonString());

    public Task SetConnectionStatusAsync(Guid userId, string status, string? errorMessage) => ExecuteAsync(
        "update public.integration_connections set status = @a, error_message = @b where user_id = @user and integration_id = 'ringcentral'",
        userId, status, errorMessage);

    private async Task ExecuteAsync(string sql, Guid userId, string a, string? b)
    {
        await using var connection = await database.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("a", a);
        command.Parameters.AddWithValue("b", (object?)b ?? DBNull.Value);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The fake Supabase's functions, over HTTP as the service calls them.</summary>
public sealed class FakeRpc(FakeSupabase supabase) : IRpcTarget
{
    private readonly HttpClient _client = new();

    public Task<Guid> NewUserAsync() => Task.FromResult(Guid.NewGuid());

    public async Task<JsonNode> CallAsync(string function, JsonObject args)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{supabase.Url}/rest/v1/rpc/{function}") { Content = JsonContent.Create(args) };
        request.Headers.TryAddWithoutValidation("apikey", supabase.ServiceKey);
        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{function}: HTTP {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    public Task<JsonObject?> TokenRowAsync(Guid userId) => Task.FromResult(supabase.Row(FakeSupabase.TokensTable, userId));
    public Task<JsonObject?> ConnectionRowAsync(Guid userId) => Task.FromResult(supabase.Row(FakeSupabase.ConnectionsTable, userId));

    public Task SeedTokenRowAsync(Guid userId, string rcEmail, string refreshToken)
    {
        supabase.Seed(FakeSupabase.TokensTable, new JsonObject
        {
            ["user_id"] = userId.ToString(), ["rc_email"] = rcEmail, ["refresh_token"] = refreshToken, ["access_token"] = "seeded-access",
            ["token_expires_at"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
        });
        return Task.CompletedTask;
    }

    public Task SeedConnectionRowAsync(Guid userId, string status, JsonObject config)
    {
        supabase.Seed(FakeSupabase.ConnectionsTable, new JsonObject
        {
            ["user_id"] = userId.ToString(), ["integration_id"] = "ringcentral", ["status"] = status,
            ["last_sync_at"] = DateTimeOffset.UtcNow.ToString("O"), ["config"] = config.DeepClone(),
        });
        return Task.CompletedTask;
    }

    public async Task SetConnectionStatusAsync(Guid userId, string status, string? errorMessage)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch,
            $"{supabase.Url}/rest/v1/integration_connections?user_id=eq.{userId}&integration_id=eq.ringcentral")
        {
            Content = JsonContent.Create(new JsonObject { ["status"] = status, ["error_message"] = errorMessage }),
        };
        request.Headers.TryAddWithoutValidation("apikey", supabase.ServiceKey);
        using var response = await _client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
