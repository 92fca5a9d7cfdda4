using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RingCentralOAuthFunctions.Fakes;

/// <summary>
/// The functions of <c>supabase/migrations</c> as PostgREST serves them (<c>POST /rest/v1/rpc/&lt;function&gt;</c>, a JSON
/// object of named arguments, the function's jsonb value as the answer; 404 <c>PGRST202</c> for an unknown function),
/// with the same semantics, in memory, over the same two tables the table routes serve. Each call is one "transaction"
/// under the fake's lock. The shared scenario table (tests' <c>Database/RpcScenarios</c>) runs against this and against
/// the real functions on PostgreSQL, so the two cannot drift. <see cref="MigrationApplied"/> false answers every
/// function with 404 <c>PGRST202</c>, as a project without the migration does.
/// </summary>
public sealed partial class FakeSupabase
{
    /// <summary>The migration the fake stands for (its file name without <c>.sql</c>).</summary>
    public const string Migration = "20261205210000_ringcentral_oauth_flows";

    public static string RpcRoute(string function) => "rpc/" + function;

    /// <summary>False: as a project where the migration was never applied.</summary>
    public bool MigrationApplied { get; set; } = true;

    private sealed class FlowRow
    {
        public required Guid UserId;
        public required Guid ClaimId;
        public required string Outcome;
        public required DateTimeOffset ClaimedAt;
        public DateTimeOffset? FinishedAt;
        public (string Result, string TokenHash, List<long> RevokeIds)? Result;
    }

    private sealed record Owed(long Id, Guid? UserId, string Token, string Reason, DateTimeOffset CreatedAt)
    {
        public int Attempts { get; set; }
        public DateTimeOffset NextAttemptAt { get; set; } = CreatedAt;
    }

    private readonly Dictionary<string, FlowRow> _flows = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, DateTimeOffset> _changedAt = [];
    private readonly List<Owed> _owed = [];
    private long _nextOwedId;
    private DateTimeOffset _lastStamp;

    /// <summary>The refresh tokens owed a revocation right now (the durable table's contents).</summary>
    public IReadOnlyList<string> OwedRevocations()
    {
        lock (_lock) return _owed.Select(o => o.Token).ToList();
    }

    /// <summary>A flow's recorded outcome (claimed, connected, failed, refused), or null.</summary>
    public string? FlowOutcome(string flowMarker)
    {
        lock (_lock) return _flows.TryGetValue(flowMarker, out var flow) ? flow.Outcome : null;
    }

    /// <summary>Strictly increasing "now" (claims and changes are ordered as the database's transactions are).</summary>
    private DateTimeOffset Stamp()
    {
        var now = DateTimeOffset.UtcNow;
        _lastStamp = now > _lastStamp ? now : _lastStamp.AddTicks(10);
        return _lastStamp;
    }

    private void MapRpc(WebApplication app) =>
        app.MapPost("/rest/v1/rpc/{function}", async (HttpContext context, string function) =>
        {
            var route = RpcRoute(function);
            var (proceed, dropAnswer) = await WaitIfHeldAsync(context, route);
            if (!proceed) return;
            if (dropAnswer) context.Response.Body = new MemoryStream();
            await HandleRpcAsync(context, function);
            if (dropAnswer) context.Abort();
        });

    private async Task HandleRpcAsync(HttpContext context, string function)
    {
        if (await TryFaultAsync(context, Route("POST", RpcRoute(function)))) return;
        if (!Authorized(context.Request))
        {
            await Error(context, 401, "PGRST301", "Invalid API key or JWT", null);
            return;
        }

        if (await ReadBodyAsync(context) is not JsonObject args) return;
        Func<JsonObject, JsonNode>? handler = !MigrationApplied ? null : function switch
        {
            "ringcentral_oauth_schema" => _ => new JsonObject { ["migration"] = Migration },
            "ringcentral_oauth_claim" => Claim,
            "ringcentral_oauth_refuse" => Refuse,
            "ringcentral_oauth_fail" => FailFlow,
            "ringcentral_oauth_save" => Save,
            "ringcentral_oauth_disconnect" => Disconnect,
            "ringcentral_oauth_revocations_due" => RevocationsDue,
            "ringcentral_oauth_revocations_done" => RevocationsDone,
            _ => null,
        };
        if (handler is null)
        {
            await Error(context, 404, "PGRST202", $"Could not find the function public.{function} in the schema cache", null);
            return;
        }

        JsonNode answer;
        try
        {
            lock (_lock) answer = handler(args);
        }
        catch (RpcArgumentException ex)
        {
            await Error(context, 400, ex.Code, ex.Message, null);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private sealed class RpcArgumentException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    private static string Arg(JsonObject args, string name) =>
        args[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
        : args[name] is JsonValue n && n.GetValueKind() == JsonValueKind.Number ? n.ToJsonString()
        : throw new RpcArgumentException("PGRST202", $"argument {name} missing");

    private static string? OptionalArg(JsonObject args, string name) =>
        args[name] is null ? null : Arg(args, name);

    private static Guid GuidArg(JsonObject args, string name) =>
        Guid.TryParse(Arg(args, name), out var id) ? id : throw new RpcArgumentException("22P02", $"invalid input syntax for type uuid ({name})");

    private static int IntArg(JsonObject args, string name) =>
        int.TryParse(Arg(args, name), out var value) ? value : throw new RpcArgumentException("22P02", $"invalid input syntax for type integer ({name})");

    private JsonObject? ConnectionRowOf(Guid userId) =>
        _tables[ConnectionsTable].FirstOrDefault(r => Text(r["user_id"]) == userId.ToString() && Text(r["integration_id"]) == "ringcentral");

    private JsonObject? TokenRowOf(Guid userId) =>
        _tables[TokensTable].FirstOrDefault(r => Text(r["user_id"]) == userId.ToString());

    /// <summary>The stored connection's label when it is connected and was made by <paramref name="marker"/>; else null.</summary>
    private string? StoredLabel(Guid userId, string marker)
    {
        var row = ConnectionRowOf(userId);
        if (row is null || Text(row["status"]) != "connected" || row["config"] is not JsonObject config || Text(config["flow"]) != marker) return null;
        return config["rc_email"] is JsonValue label && label.GetValueKind() == JsonValueKind.String ? label.GetValue<string>() : "";
    }

    private DateTimeOffset ChangedAt(Guid userId) => _changedAt.TryGetValue(userId, out var at) ? at : DateTimeOffset.MinValue;

    private JsonNode Claim(JsonObject args)
    {
        var (marker, userId, claimId) = (Arg(args, "p_flow_marker"), GuidArg(args, "p_user_id"), GuidArg(args, "p_claim_id"));
        var (maxClaims, window) = (IntArg(args, "p_max_claims"), TimeSpan.FromSeconds(IntArg(args, "p_window_seconds")));
        var now = Stamp();
        foreach (var old in _flows.Where(f => f.Value.ClaimedAt < now - TimeSpan.FromDays(1)).Select(f => f.Key).ToList()) _flows.Remove(old);

        var label = StoredLabel(userId, marker);
        if (_flows.TryGetValue(marker, out var flow))
        {
            if (flow.UserId == userId && flow.ClaimId == claimId && flow.Outcome == "claimed") return new JsonObject { ["result"] = "claimed" };
            if (flow.UserId == userId && flow.Outcome == "connected" && label is not null)
                return new JsonObject { ["result"] = "connected", ["label"] = label };
            return new JsonObject { ["result"] = "used", ["outcome"] = flow.Outcome };
        }

        if (label is not null)
        {
            _flows[marker] = new FlowRow { UserId = userId, ClaimId = claimId, Outcome = "connected", ClaimedAt = now, FinishedAt = now };
            return new JsonObject { ["result"] = "connected", ["label"] = label };
        }

        var recent = _flows.Values.Where(f => f.UserId == userId && f.Outcome != "refused" && f.ClaimedAt > now - window).ToList();
        if (recent.Count >= maxClaims)
        {
            var retryAfter = Math.Max(1, (int)Math.Ceiling((recent.Min(f => f.ClaimedAt) + window - now).TotalSeconds));
            return new JsonObject { ["result"] = "rate_limited", ["retry_after"] = retryAfter };
        }

        _flows[marker] = new FlowRow { UserId = userId, ClaimId = claimId, Outcome = "claimed", ClaimedAt = now };
        return new JsonObject { ["result"] = "claimed" };
    }

    private JsonNode Refuse(JsonObject args)
    {
        var (marker, userId) = (Arg(args, "p_flow_marker"), GuidArg(args, "p_user_id"));
        if (_flows.ContainsKey(marker)) return new JsonObject { ["result"] = "known" };
        var now = Stamp();
        _flows[marker] = new FlowRow { UserId = userId, ClaimId = Guid.NewGuid(), Outcome = "refused", ClaimedAt = now, FinishedAt = now };
        return new JsonObject { ["result"] = "refused" };
    }

    private JsonNode FailFlow(JsonObject args)
    {
        var (marker, userId, claimId) = (Arg(args, "p_flow_marker"), GuidArg(args, "p_user_id"), GuidArg(args, "p_claim_id"));
        if (!_flows.TryGetValue(marker, out var flow) || flow.UserId != userId || flow.ClaimId != claimId || flow.Outcome != "claimed")
            return new JsonObject { ["result"] = "unchanged" };
        flow.Outcome = "failed";
        flow.FinishedAt = Stamp();
        return new JsonObject { ["result"] = "failed" };
    }

    private JsonObject Owe(Guid? userId, string token, string reason)
    {
        var owed = new Owed(++_nextOwedId, userId, token, reason, DateTimeOffset.UtcNow);
        _owed.Add(owed);
        return new JsonObject { ["id"] = owed.Id, ["token"] = token };
    }

    private JsonArray OwedByIds(IEnumerable<long> ids) =>
        new(_owed.Where(o => ids.Contains(o.Id)).OrderBy(o => o.Id).Select(o => (JsonNode)new JsonObject { ["id"] = o.Id, ["token"] = o.Token }).ToArray());

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static JsonArray Array(params JsonObject?[] items) => new(items.Where(i => i is not null).Select(i => (JsonNode)i!).ToArray());

    private JsonNode Save(JsonObject args)
    {
        var (marker, userId, claimId) = (Arg(args, "p_flow_marker"), GuidArg(args, "p_user_id"), GuidArg(args, "p_claim_id"));
        var refreshToken = OptionalArg(args, "p_refresh_token");
        if (string.IsNullOrEmpty(refreshToken)) throw new RpcArgumentException("22023", "a refresh token is required");
        var rcEmail = OptionalArg(args, "p_rc_email") ?? "";
        var changedAt = ChangedAt(userId);
        _flows.TryGetValue(marker, out var flow);

        if (flow is { Result: { } done } && flow.UserId == userId && flow.ClaimId == claimId && flow.Outcome != "claimed" && done.TokenHash == Hash(refreshToken))
            return new JsonObject { ["result"] = done.Result, ["revoke"] = OwedByIds(done.RevokeIds) };

        if (flow is null || flow.UserId != userId || flow.ClaimId != claimId || flow.Outcome != "claimed")
            return new JsonObject { ["result"] = "not_claimed", ["revoke"] = Array(Owe(userId, refreshToken, "not-claimed")) };

        if (changedAt >= flow.ClaimedAt)
        {
            var own = Owe(userId, refreshToken, "superseded");
            (flow.Outcome, flow.FinishedAt) = ("failed", Stamp());
            flow.Result = ("superseded", Hash(refreshToken), [(long)own["id"]!]);
            return new JsonObject { ["result"] = "superseded", ["revoke"] = Array(own) };
        }

        var now = DateTimeOffset.UtcNow.ToString("O");
        var tokens = TokenRowOf(userId);
        var previous = tokens is null ? null : Text(tokens["refresh_token"]);
        if (tokens is null)
        {
            tokens = new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["user_id"] = userId.ToString(), ["created_at"] = now };
            _tables[TokensTable].Add(tokens);
        }

        tokens["rc_email"] = rcEmail;
        tokens["refresh_token"] = refreshToken;
        tokens["access_token"] = OptionalArg(args, "p_access_token");
        tokens["token_expires_at"] = OptionalArg(args, "p_token_expires_at");
        tokens["code_verifier"] = null;
        tokens["updated_at"] = NextUpdatedAt();

        var connection = ConnectionRowOf(userId);
        if (connection is null)
        {
            connection = new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString(), ["user_id"] = userId.ToString(), ["integration_id"] = "ringcentral", ["created_at"] = now,
            };
            _tables[ConnectionsTable].Add(connection);
        }

        connection["status"] = "connected";
        connection["last_checked_at"] = now;
        connection["last_sync_at"] = now;
        connection["error_message"] = null;
        connection["config"] = new JsonObject { ["rc_email"] = rcEmail, ["flow"] = marker };
        connection["updated_at"] = NextUpdatedAt();

        _changedAt[userId] = Stamp();
        var displaced = !string.IsNullOrEmpty(previous) && previous != refreshToken && !previous.StartsWith("jwt:", StringComparison.Ordinal)
            ? Owe(userId, previous, "replaced")
            : null;
        (flow.Outcome, flow.FinishedAt) = ("connected", Stamp());
        flow.Result = ("connected", Hash(refreshToken), displaced is null ? [] : [(long)displaced["id"]!]);
        return new JsonObject { ["result"] = "connected", ["revoke"] = Array(displaced) };
    }

    private JsonNode Disconnect(JsonObject args)
    {
        var userId = GuidArg(args, "p_user_id");
        var tokens = TokenRowOf(userId);
        var previous = tokens is null ? null : Text(tokens["refresh_token"]);
        if (tokens is not null) _tables[TokensTable].Remove(tokens);
        if (ConnectionRowOf(userId) is { } connection) _tables[ConnectionsTable].Remove(connection);
        _changedAt[userId] = Stamp();
        var owed = !string.IsNullOrEmpty(previous) && !previous.StartsWith("jwt:", StringComparison.Ordinal) ? Owe(userId, previous, "disconnected") : null;
        return new JsonObject { ["result"] = "disconnected", ["had_connection"] = tokens is not null, ["revoke"] = Array(owed) };
    }

    private JsonNode RevocationsDue(JsonObject args)
    {
        var (limit, grace) = (IntArg(args, "p_limit"), TimeSpan.FromSeconds(IntArg(args, "p_grace_seconds")));
        var now = DateTimeOffset.UtcNow;
        _owed.RemoveAll(o => o.CreatedAt < now - TimeSpan.FromDays(8));
        var due = _owed.Where(o => o.NextAttemptAt <= now && o.CreatedAt <= now - grace).OrderBy(o => o.NextAttemptAt).ThenBy(o => o.Id)
            .Take(Math.Max(limit, 0)).ToList();
        foreach (var o in due)
        {
            var backoff = TimeSpan.FromSeconds(30 * Math.Pow(2, Math.Min(o.Attempts, 7)));
            o.NextAttemptAt = now + (backoff < TimeSpan.FromHours(1) ? backoff : TimeSpan.FromHours(1));
            o.Attempts++;
        }

        return new JsonArray(due.OrderBy(o => o.Id).Select(o => (JsonNode)new JsonObject { ["id"] = o.Id, ["token"] = o.Token }).ToArray());
    }

    private JsonNode RevocationsDone(JsonObject args)
    {
        var ids = args["p_ids"] is JsonArray array
            ? array.Select(n => n is JsonValue v && v.TryGetValue<long>(out var id) ? id : long.TryParse(n?.ToString(), out var parsed) ? parsed : -1).ToHashSet()
            : [];
        var done = _owed.RemoveAll(o => ids.Contains(o.Id));
        return new JsonObject { ["done"] = done };
    }
}
