using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using static RingCentralOAuthFunctions.Supabase.PostgrestClient;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// The two ERP tables and the migration's functions through PostgREST (<c>{Supabase:Url}/rest/v1</c>) with the
/// service-role key, which is sent as <c>apikey</c>, and also as <c>Authorization: Bearer</c> only when it is a legacy
/// JWT key (as supabase-js does; a new <c>sb_secret_</c> key is not a JWT). Reads select the columns they need, filtered
/// on the caller's user id. Every write is one call of a function of <c>supabase/migrations</c>
/// (<c>POST /rest/v1/rpc/&lt;function&gt;</c> with a JSON object of named arguments), so each is one transaction:
/// tokens travel in the body, never in a query string (query strings end up in Supabase's API logs).
/// </summary>
public sealed class PostgrestTokenStore(PostgrestClient postgrest, ILogger<PostgrestTokenStore> logger) : ITokenStore, IFlowStore
{
    public const string TokensTable = "user_ringcentral_tokens";
    public const string ConnectionsTable = "integration_connections";

    public async Task<TokenRowSummary?> GetTokenSummaryAsync(Guid userId, CancellationToken cancellationToken)
    {
        var row = await SelectOneAsync(TokensTable, $"user_id=eq.{userId}", "rc_email,updated_at", cancellationToken);
        return row is null ? null : new TokenRowSummary(Str(row, "rc_email") ?? "", Time(row, "updated_at"));
    }

    public const string ClaimFunction = "ringcentral_oauth_claim", RefuseFunction = "ringcentral_oauth_refuse", FailFunction = "ringcentral_oauth_fail",
        SaveFunction = "ringcentral_oauth_save", DisconnectFunction = "ringcentral_oauth_disconnect",
        RevocationsDueFunction = "ringcentral_oauth_revocations_due", RevocationsDoneFunction = "ringcentral_oauth_revocations_done",
        SchemaFunction = "ringcentral_oauth_schema";

    /// <summary>The migration that creates the functions above (<c>supabase/migrations/&lt;name&gt;.sql</c>).</summary>
    public const string Migration = "20261205210000_ringcentral_oauth_flows";

    public async Task<FlowClaim> ClaimFlowAsync(string flowMarker, Guid userId, Guid claimId, int maxClaims, TimeSpan window, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(ClaimFunction, new JsonObject
        {
            ["p_flow_marker"] = flowMarker, ["p_user_id"] = userId, ["p_claim_id"] = claimId,
            ["p_max_claims"] = maxClaims, ["p_window_seconds"] = (int)window.TotalSeconds,
        }, cancellationToken);
        return Str(answer, "result") switch
        {
            "claimed" => new FlowClaim(ClaimResult.Claimed),
            "connected" => new FlowClaim(ClaimResult.Connected, Label: Str(answer, "label") ?? ""),
            "used" => new FlowClaim(ClaimResult.Used, RecordedOutcome: Str(answer, "outcome")),
            "rate_limited" => new FlowClaim(ClaimResult.RateLimited,
                RetryAfter: TimeSpan.FromSeconds(answer["retry_after"] is JsonValue v && v.TryGetValue<int>(out var s) ? Math.Max(1, s) : (int)window.TotalSeconds)),
            _ => throw Unexpected("claim", ClaimFunction),
        };
    }

    public async Task RefuseFlowAsync(string flowMarker, Guid userId, CancellationToken cancellationToken) =>
        await CallAsync(RefuseFunction, new JsonObject { ["p_flow_marker"] = flowMarker, ["p_user_id"] = userId }, cancellationToken);

    public async Task FailFlowAsync(string flowMarker, Guid userId, Guid claimId, CancellationToken cancellationToken) =>
        await CallAsync(FailFunction, new JsonObject { ["p_flow_marker"] = flowMarker, ["p_user_id"] = userId, ["p_claim_id"] = claimId }, cancellationToken);

    public async Task<FlowSaveOutcome> SaveFlowAsync(FlowSave save, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(SaveFunction, new JsonObject
        {
            ["p_flow_marker"] = save.FlowMarker, ["p_user_id"] = save.UserId, ["p_claim_id"] = save.ClaimId, ["p_rc_email"] = save.RcEmail,
            ["p_refresh_token"] = save.RefreshToken, ["p_access_token"] = save.AccessToken, ["p_token_expires_at"] = save.TokenExpiresAt,
        }, cancellationToken);
        var result = Str(answer, "result") switch
        {
            "connected" => SaveResult.Connected,
            "superseded" => SaveResult.Superseded,
            "not_claimed" => SaveResult.NotClaimed,
            _ => throw Unexpected("save", SaveFunction),
        };
        return new FlowSaveOutcome(result, Owed(answer["revoke"]));
    }

    public async Task<DisconnectOutcome> DisconnectAsync(Guid userId, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(DisconnectFunction, new JsonObject { ["p_user_id"] = userId }, cancellationToken);
        if (Str(answer, "result") != "disconnected") throw Unexpected("disconnect", DisconnectFunction);
        return new DisconnectOutcome(answer["had_connection"] is JsonValue v && v.TryGetValue<bool>(out var had) && had, Owed(answer["revoke"]));
    }

    public async Task<IReadOnlyList<OwedRevocation>> TakeDueRevocationsAsync(int limit, TimeSpan grace, CancellationToken cancellationToken)
    {
        using var response = await postgrest.SendAsync("rpc", RpcPath(RevocationsDueFunction), HttpMethod.Post, "",
            new JsonObject { ["p_limit"] = limit, ["p_grace_seconds"] = (int)grace.TotalSeconds }, null, cancellationToken);
        return Owed(await ParseAsync(response, RevocationsDueFunction, cancellationToken));
    }

    public async Task MarkRevokedAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        await CallAsync(RevocationsDoneFunction, new JsonObject { ["p_ids"] = new JsonArray(ids.Select(id => (JsonNode)id).ToArray()) }, cancellationToken);
    }

    private static string RpcPath(string function) => "rpc/" + function;

    /// <summary>One function call; its JSON object answer.</summary>
    private async Task<JsonObject> CallAsync(string function, JsonObject args, CancellationToken cancellationToken)
    {
        using var response = await postgrest.SendAsync("rpc", RpcPath(function), HttpMethod.Post, "", args, null, cancellationToken);
        return await ParseAsync(response, function, cancellationToken) as JsonObject ?? throw Unexpected("rpc", function, (int)response.StatusCode);
    }

    private Task<JsonNode?> ParseAsync(HttpResponseMessage response, string function, CancellationToken cancellationToken) =>
        postgrest.ReadJsonAsync(response, "rpc", RpcPath(function), cancellationToken);

    /// <summary>An answer that is not one the function gives: treated as refused (nothing is known to have changed).</summary>
    private TokenStoreException Unexpected(string operation, string function, int status = 200)
    {
        Log.StoreRequestFailed(logger, operation, RpcPath(function), status, "unexpected-answer");
        return new TokenStoreException(operation, RpcPath(function), status, null);
    }

    private static List<OwedRevocation> Owed(JsonNode? list) =>
        list is JsonArray array
            ? array.OfType<JsonObject>()
                .Where(o => o["id"] is JsonValue id && id.TryGetValue<long>(out _) && Str(o, "token") is { Length: > 0 })
                .Select(o => new OwedRevocation(o["id"]!.GetValue<long>(), Str(o, "token")!))
                .ToList()
            : [];

    private async Task<JsonObject?> SelectOneAsync(string table, string filter, string columns, CancellationToken cancellationToken)
    {
        using var response = await postgrest.SendAsync("select", table, HttpMethod.Get, $"select={columns}&{filter}&limit=1", null, null, cancellationToken);
        var rows = await postgrest.ReadJsonAsync(response, "select", table, cancellationToken);
        return rows is JsonArray { Count: > 0 } array ? array[0] as JsonObject : null;
    }
}
