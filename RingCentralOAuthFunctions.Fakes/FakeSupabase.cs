using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace RingCentralOAuthFunctions.Fakes;

/// <summary>
/// A Supabase project as the service sees it: Auth's JWKS (an ES256 key) and the part of PostgREST the service uses,
/// over the two ERP tables. PostgREST behaviour followed: <c>select=</c>, <c>col=eq.value</c> and <c>col=is.null</c>
/// filters; upsert as <c>POST ?on_conflict=</c> with <c>Prefer: resolution=merge-duplicates</c> (201; a plain insert
/// that meets an existing key is 409 <c>23505</c>); <c>return=minimal</c> (201/204, no body) or
/// <c>return=representation</c> (POST 201, PATCH and DELETE 200, with a JSON array of the rows written or deleted,
/// cut to <c>select=</c>; an empty array when a filter matched nothing); 400 <c>42P10</c> when on_conflict names no unique key; 400 <c>23502</c> for a null in a
/// not-null column; DELETE and PATCH need a filter (Supabase's safeupdate: 400 <c>21000</c>); 401 <c>PGRST301</c> for
/// a bad key; errors as <c>{code, message, details, hint}</c>. Rows live in memory; a trigger-like step sets <c>updated_at</c>
/// on every write, strictly increasing (as <c>now()</c> of successive transactions). <see cref="Hold"/> pauses a chosen
/// request before it touches the tables, so a test can force an interleaving of concurrent flows; a hold can also
/// answer an error instead (<see cref="RequestHold.FailWith"/>) or do the request and drop the connection
/// (<see cref="RequestHold.LoseAnswer"/>).
/// </summary>
public sealed partial class FakeSupabase : FakeServer
{
    /// <summary>A legacy-style service_role key (a JWT shape; the fake only compares strings).</summary>
    public const string LegacyServiceRoleKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.fake-signature";
    /// <summary>A new-style secret key (not a JWT: sent as <c>apikey</c> only).</summary>
    public const string NewSecretKey = "sb_secret_fake-key-for-tests";

    public const string TokensTable = "user_ringcentral_tokens";
    public const string ConnectionsTable = "integration_connections";

    private static readonly Dictionary<string, string[]> UniqueKeys = new()
    {
        [TokensTable] = ["user_id"],
        [ConnectionsTable] = ["user_id", "integration_id"],
    };

    private static readonly Dictionary<string, string[]> NotNull = new()
    {
        [TokensTable] = ["user_id", "rc_email", "refresh_token"],
        [ConnectionsTable] = ["integration_id", "status"],
    };

    private readonly object _lock = new();
    private readonly Dictionary<string, List<JsonObject>> _tables = new() { [TokensTable] = [], [ConnectionsTable] = [] };
    private readonly List<RequestHold> _holds = [];
    private DateTimeOffset _lastWrite;
    private readonly ECDsa _signingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string ServiceKey { get; set; } = LegacyServiceRoleKey;
    public string KeyId { get; } = "fake-es256-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
    public string Issuer => Url + "/auth/v1";
    public ECDsaSecurityKey SigningKey => new(_signingKey) { KeyId = KeyId };

    /// <summary>Route names for <see cref="FakeServer.Inject"/>: <c>"{METHOD} {table}"</c>, <see cref="JwksRoute"/> and <see cref="AdminUserRoute"/>.</summary>
    public const string JwksRoute = "jwks";
    public const string AdminUserRoute = "admin-user";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string?> _users = new();

    /// <summary>Registers a user of Auth's admin API (<c>GET /auth/v1/admin/users/{id}</c>) with this email (null: a user without one).</summary>
    public void SetUser(Guid userId, string? email) => _users[userId] = email;
    public static string Route(string method, string table) => $"{method} {table}";

    public static async Task<FakeSupabase> StartNewAsync()
    {
        var server = new FakeSupabase();
        await server.StartAsync();
        return server;
    }

    /// <summary>A Supabase Auth access token for <paramref name="userId"/>, signed with the JWKS key unless <paramref name="customize"/> changes it.</summary>
    public string MintAccessToken(Guid userId, string? email = null, Action<SecurityTokenDescriptor>? customize = null)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = userId.ToString(),
            ["role"] = "authenticated",
            ["aal"] = "aal1",
            ["session_id"] = Guid.NewGuid().ToString(),
        };
        if (email is not null) claims["email"] = email;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = "authenticated",
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(1),
            Claims = claims,
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.EcdsaSha256),
        };
        customize?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public JsonObject? Row(string table, Guid userId)
    {
        lock (_lock) return _tables[table].FirstOrDefault(r => Text(r["user_id"]) == userId.ToString())?.DeepClone().AsObject();
    }

    public int RowCount(string table)
    {
        lock (_lock) return _tables[table].Count;
    }

    public void Seed(string table, JsonObject row)
    {
        lock (_lock)
        {
            row["updated_at"] ??= NextUpdatedAt();
            _tables[table].Add(row);
        }
    }

    /// <summary>
    /// Holds the next <paramref name="method"/> request to <paramref name="table"/> (that <paramref name="where"/> accepts,
    /// given the decoded query and the body) before it reads or writes anything, until <see cref="RequestHold.Release"/>.
    /// Each hold takes one request; holds for the same route take requests in the order they were set.
    /// </summary>
    public RequestHold Hold(string method, string table, Func<string, string, bool>? where = null)
    {
        var hold = new RequestHold(method, table, where);
        lock (_lock) _holds.Add(hold);
        return hold;
    }

    /// <summary><see cref="Hold"/> for the next write (POST, PATCH or DELETE) to <paramref name="table"/>.</summary>
    public RequestHold HoldWrite(string table, Func<string, string, bool>? where = null) => Hold(AnyWrite, table, where);

    public const string AnyWrite = "POST|PATCH|DELETE";

    private static bool MethodMatches(RequestHold hold, string method) =>
        hold.Method == method || (hold.Method == AnyWrite && method is "POST" or "PATCH" or "DELETE");

    /// <summary>Waits while the request is held; Proceed false when its client gave up meanwhile or the hold answered instead.</summary>
    private async Task<(bool Proceed, bool DropAnswer)> WaitIfHeldAsync(HttpContext context, string table)
    {
        lock (_lock)
            if (!_holds.Any(h => MethodMatches(h, context.Request.Method) && h.Table == table)) return (true, false);

        context.Request.EnableBuffering();
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        context.Request.Body.Position = 0;
        var query = Uri.UnescapeDataString(context.Request.QueryString.Value ?? "");
        RequestHold? taken;
        lock (_lock)
        {
            taken = _holds.FirstOrDefault(h => MethodMatches(h, context.Request.Method) && h.Table == table && (h.Where?.Invoke(query, body) ?? true));
            if (taken is not null) _holds.Remove(taken);
        }

        if (taken is null) return (true, false);
        taken.Arrive(query, body);
        try
        {
            await taken.Released.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return (false, false);
        }

        if (taken.Failure is not { } failure) return (true, taken.AnswerLost);
        await Error(context, failure.Status, failure.Code, "injected by a test hold", null);
        return (false, false);
    }

    /// <summary>The next <c>updated_at</c>: now, or just after the last one (two writes never share a version).</summary>
    private string NextUpdatedAt()
    {
        var now = DateTimeOffset.UtcNow;
        _lastWrite = now > _lastWrite ? now : _lastWrite.AddTicks(10);
        return _lastWrite.ToString("O");
    }

    protected override void Map(WebApplication app)
    {
        app.MapGet("/auth/v1/.well-known/jwks.json", async context =>
        {
            if (await TryFaultAsync(context, JwksRoute)) return;
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(SigningKey);
            await context.Response.WriteAsJsonAsync(new
            {
                keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, crv = jwk.Crv, x = jwk.X, y = jwk.Y, alg = "ES256", use = "sig" } },
            });
        });

        // Supabase Auth's admin API (GoTrue): the service key as apikey (a JWT key may also come as Bearer); the user
        // object itself, or 404 {code, error_code: user_not_found, msg}.
        app.MapGet("/auth/v1/admin/users/{id}", async (HttpContext context, string id) =>
        {
            if (await TryFaultAsync(context, AdminUserRoute)) return;
            if (!Authorized(context.Request))
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { code = 401, error_code = "no_authorization", msg = "This endpoint requires a valid Bearer token" });
                return;
            }

            if (!Guid.TryParse(id, out var userId) || !_users.TryGetValue(userId, out var email))
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsJsonAsync(new { code = 404, error_code = "user_not_found", msg = "User not found" });
                return;
            }

            await context.Response.WriteAsJsonAsync(new Dictionary<string, object?>
            {
                ["id"] = userId.ToString(), ["aud"] = "authenticated", ["role"] = "authenticated", ["email"] = email,
                ["email_confirmed_at"] = email is null ? null : "2026-01-01T00:00:00Z", ["app_metadata"] = new { provider = "email" },
            });
        });

        MapRpc(app);

        app.Map("/rest/v1/{table}", async (HttpContext context, string table) =>
        {
            var (proceed, dropAnswer) = await WaitIfHeldAsync(context, table);
            if (!proceed) return;
            if (dropAnswer)
            {
                // Do the request, then lose the answer: the client sees the connection drop (and may retry).
                context.Response.Body = new MemoryStream();
                await HandleRestAsync(context, table);
                context.Abort();
                return;
            }

            await HandleRestAsync(context, table);
        });
    }

    private async Task HandleRestAsync(HttpContext context, string table)
    {
        if (await TryFaultAsync(context, Route(context.Request.Method, table))) return;
        if (!Authorized(context.Request))
        {
            await Error(context, 401, "PGRST301", "Invalid API key or JWT", null);
            return;
        }

        if (!_tables.ContainsKey(table))
        {
            await Error(context, 404, "PGRST205", $"Could not find the table 'public.{table}' in the schema cache", null);
            return;
        }

        var filters = Filters(context.Request.Query);
        switch (context.Request.Method)
        {
            case "GET": await SelectAsync(context, table, filters); break;
            case "POST": await UpsertAsync(context, table); break;
            case "PATCH": await PatchAsync(context, table, filters); break;
            case "DELETE": await DeleteAsync(context, table, filters); break;
            default: context.Response.StatusCode = 405; break;
        }
    }

    private bool Authorized(HttpRequest request)
    {
        if (request.Headers["apikey"] != ServiceKey) return false;
        var bearer = request.Headers.Authorization.ToString();
        // A JWT key may also come as Bearer; a new sb_secret_ key must not (it is not a JWT).
        return ServiceKey.StartsWith("eyJ", StringComparison.Ordinal)
            ? bearer.Length == 0 || bearer == "Bearer " + ServiceKey
            : bearer.Length == 0;
    }

    private static bool SameKey(JsonObject a, JsonObject b, string[] key) =>
        key.All(k => Text(a[k]) == Text(b[k]));

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) ? text : node?.ToString();

    /// <summary><c>col=eq.value</c> (value null for <c>col=is.null</c>).</summary>
    private static List<(string Column, string? Value)> Filters(IQueryCollection query) =>
        query.Where(q => q.Key is not ("select" or "on_conflict" or "limit" or "order" or "columns"))
            .Select(q => (q.Key, q.Value.ToString()))
            .Where(f => f.Item2.StartsWith("eq.", StringComparison.Ordinal) || f.Item2 == "is.null")
            .Select(f => (f.Item1, f.Item2 == "is.null" ? null : f.Item2[3..]))
            .ToList();

    private static bool Matches(JsonObject row, List<(string Column, string? Value)> filters)
    {
        foreach (var (column, value) in filters)
        {
            if (value is null)
            {
                if (row[column] is not null) return false;
                continue;
            }

            if (row[column] is not JsonValue v) return false;
            // Stored values are strings; compare them as such (no re-serialising of every row under the lock).
            if (!(v.TryGetValue<string>(out var text) ? text == value : v.ToString() == value)) return false;
        }

        return true;
    }

    private static JsonObject Project(JsonObject row, string[]? columns) =>
        columns is null ? row.DeepClone().AsObject() : new JsonObject(columns.Select(c => KeyValuePair.Create(c, row[c]?.DeepClone())));

    private static string[]? SelectedColumns(HttpContext context) =>
        context.Request.Query["select"].ToString() is { Length: > 0 } s ? s.Split(',') : null;

    /// <summary>Answers a write as <c>Prefer: return=</c> asks: the affected rows (cut to <c>select=</c>), or no body.</summary>
    private static async Task WrittenAsync(HttpContext context, int representationStatus, int minimalStatus, JsonArray affected)
    {
        if (context.Request.Headers["Prefer"].ToString().Contains("return=representation", StringComparison.Ordinal))
        {
            context.Response.StatusCode = representationStatus;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(affected.ToJsonString());
            return;
        }

        context.Response.StatusCode = minimalStatus;
    }

    private async Task SelectAsync(HttpContext context, string table, List<(string Column, string? Value)> filters)
    {
        var columns = SelectedColumns(context);
        var limit = int.TryParse(context.Request.Query["limit"], out var l) ? l : int.MaxValue;
        JsonArray result;
        lock (_lock)
        {
            result = new JsonArray(_tables[table].Where(r => Matches(r, filters)).Take(limit)
                .Select(r => (JsonNode)Project(r, columns))
                .ToArray());
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(result.ToJsonString());
    }

    private async Task UpsertAsync(HttpContext context, string table)
    {
        var prefer = context.Request.Headers["Prefer"].ToString();
        var onConflict = context.Request.Query["on_conflict"].ToString();
        var body = await ReadBodyAsync(context);
        if (body is null) return;
        var rows = body is JsonArray a ? a.Select(n => n!.AsObject()).ToList() : [body.AsObject()];
        var key = onConflict.Length > 0 ? onConflict.Split(',') : UniqueKeys[table];
        if (onConflict.Length > 0 && !key.Order().SequenceEqual(UniqueKeys[table].Order()))
        {
            await Error(context, 400, "42P10", "there is no unique or exclusion constraint matching the ON CONFLICT specification", null);
            return;
        }

        (int Status, string Code, string Message)? refusal = null;
        var columns = SelectedColumns(context);
        var affected = new JsonArray();
        lock (_lock)
        {
            foreach (var row in rows)
            {
                var missing = NotNull[table].FirstOrDefault(c => row[c] is null);
                var existing = _tables[table].FirstOrDefault(r => SameKey(r, row, key));
                if (missing is not null && existing is null)
                    refusal ??= (400, "23502", $"null value in column \"{missing}\" of relation \"{table}\" violates not-null constraint");
                else if (existing is not null && !prefer.Contains("resolution=merge-duplicates", StringComparison.Ordinal))
                    refusal ??= (409, "23505", $"duplicate key value violates unique constraint \"{table}_{string.Join('_', key)}_key\"");
            }

            if (refusal is null)
            {
                foreach (var row in rows)
                {
                    var existing = _tables[table].FirstOrDefault(r => SameKey(r, row, key));
                    if (existing is null)
                    {
                        existing = new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["created_at"] = DateTimeOffset.UtcNow.ToString("O") };
                        _tables[table].Add(existing);
                    }

                    foreach (var (column, value) in row) existing[column] = value?.DeepClone();
                    existing["updated_at"] = NextUpdatedAt();
                    affected.Add(Project(existing, columns));
                }
            }
        }

        if (refusal is { } r)
        {
            await Error(context, r.Status, r.Code, r.Message, null);
            return;
        }

        await WrittenAsync(context, 201, 201, affected);
    }

    private async Task PatchAsync(HttpContext context, string table, List<(string Column, string? Value)> filters)
    {
        if (filters.Count == 0)
        {
            await Error(context, 400, "21000", "UPDATE requires a WHERE clause", null);
            return;
        }

        if (await ReadBodyAsync(context) is not JsonObject changes) return;
        if (NotNull[table].FirstOrDefault(c => changes.ContainsKey(c) && changes[c] is null) is { } missing)
        {
            await Error(context, 400, "23502", $"null value in column \"{missing}\" of relation \"{table}\" violates not-null constraint", null);
            return;
        }

        var columns = SelectedColumns(context);
        var affected = new JsonArray();
        lock (_lock)
        {
            foreach (var row in _tables[table].Where(r => Matches(r, filters)))
            {
                foreach (var (column, value) in changes) row[column] = value?.DeepClone();
                row["updated_at"] = NextUpdatedAt();
                affected.Add(Project(row, columns));
            }
        }

        await WrittenAsync(context, 200, 204, affected);
    }

    private async Task DeleteAsync(HttpContext context, string table, List<(string Column, string? Value)> filters)
    {
        if (filters.Count == 0)
        {
            await Error(context, 400, "21000", "DELETE requires a WHERE clause", null);
            return;
        }

        var columns = SelectedColumns(context);
        var affected = new JsonArray();
        lock (_lock)
        {
            foreach (var row in _tables[table].Where(r => Matches(r, filters)).ToList())
            {
                _tables[table].Remove(row);
                affected.Add(Project(row, columns));
            }
        }

        await WrittenAsync(context, 200, 204, affected);
    }

    private static async Task<JsonNode?> ReadBodyAsync(HttpContext context)
    {
        try
        {
            var node = await JsonNode.ParseAsync(context.Request.Body);
            if (node is JsonObject or JsonArray) return node;
        }
        catch (JsonException)
        {
        }

        await Error(context, 400, "PGRST102", "Empty or invalid json", null);
        return null;
    }

    private static Task Error(HttpContext context, int status, string code, string message, string? details)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(new JsonObject { ["code"] = code, ["message"] = message, ["details"] = details, ["hint"] = null }.ToJsonString());
    }

    /// <summary>PostgREST's error body, for injected faults.</summary>
    public static string ErrorBody(string code, string message) =>
        new JsonObject { ["code"] = code, ["message"] = message, ["details"] = null, ["hint"] = null }.ToJsonString();
}

/// <summary>A request <see cref="FakeSupabase.Hold"/> paused: <see cref="Arrived"/> completes when it comes in, and it goes on after <see cref="Release"/>.</summary>
public sealed class RequestHold
{
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal RequestHold(string method, string table, Func<string, string, bool>? where) => (Method, Table, Where) = (method, table, where);

    internal string Method { get; }
    internal string Table { get; }
    internal Func<string, string, bool>? Where { get; }
    internal Task Released => _released.Task;

    /// <summary>Completes when the held request has arrived (and is paused).</summary>
    public Task Arrived => _arrived.Task;

    /// <summary>The held request's decoded query and body, once it arrived.</summary>
    public string Query { get; private set; } = "";
    public string Body { get; private set; } = "";

    public void Release() => _released.TrySetResult();

    /// <summary>When released, answer this PostgREST error instead of doing the request (nothing changes).</summary>
    public RequestHold FailWith(int status, string code)
    {
        Failure = (status, code);
        return this;
    }

    /// <summary>Fail on arrival, without waiting for <see cref="Release"/>.</summary>
    public RequestHold FailOnArrival(int status, string code)
    {
        FailWith(status, code);
        Release();
        return this;
    }

    internal (int Status, string Code)? Failure { get; private set; }

    /// <summary>When released, do the request but drop the connection instead of answering (a write that landed unacknowledged).</summary>
    public RequestHold LoseAnswer()
    {
        AnswerLost = true;
        return this;
    }

    internal bool AnswerLost { get; private set; }

    internal void Arrive(string query, string body)
    {
        (Query, Body) = (query, body);
        _arrived.TrySetResult();
    }
}
