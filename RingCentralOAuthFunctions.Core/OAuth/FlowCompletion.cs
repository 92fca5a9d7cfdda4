using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>
/// Completes each flow (one GetAuthUrl, named by its flow id) at most once, so RingCentral never sees its code twice
/// (RFC 6749 section 4.1.2: a server may then revoke every token of that code, killing the stored connection):
/// <list type="bullet">
/// <item>within this instance, a second Complete of a flow that is running waits for it and shares its outcome;</item>
/// <item>this instance remembers completed flows for <see cref="Memory"/>, longer than a state and a ticket live;</item>
/// <item>on any instance, the connection row's <c>config.flow</c> names (hashed) the flow that made it: before
///   exchanging, the row is read, and a flow already stored there is answered from the row, without RingCentral.</item>
/// </list>
/// A replay of a stored flow answers success with the stored account label: it is the same user (the ticket's),
/// the same connection, and what Status would say, so a refreshed or doubly loaded popup does not show a false error.
/// A replay of a flow that did not end stored (it failed, or a later connect or a disconnect replaced it) is refused.
/// What is not covered: two Completes of one flow on two instances at the same moment (both read the row before
/// either saved).
/// </summary>
public sealed class FlowCompletion(ConnectFlow flow, ITokenStore store, TimeProvider time, Telemetry telemetry, ILogger<FlowCompletion> logger)
{
    /// <summary>A flow can be replayed while its state is open (10 min) plus one ticket (2 min); kept a little longer.</summary>
    public static readonly TimeSpan Memory = OAuthState.Lifetime + CompleteTicket.Lifetime + TimeSpan.FromMinutes(3);

    public const string AlreadyUsedReason = "flow_already_used";
    public const string StoreUnavailableReason = "store_unavailable";

    private readonly ConcurrentDictionary<string, Task<ConnectResult>> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _completed = new(StringComparer.Ordinal);

    /// <summary>What <c>config.flow</c> holds for a flow id: a SHA-256, base64url, never the id itself.</summary>
    public static string MarkerOf(string flowId) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes("ringcentral-oauth-functions/flow/v1:" + flowId)));

    /// <param name="cancellationToken">Stops the caller's wait only: once started, a completion runs to its end (the code may be spent).</param>
    public async Task<ConnectResult> CompleteAsync(CompleteTicket ticket, CancellationToken cancellationToken)
    {
        var marker = MarkerOf(ticket.FlowId);
        while (true)
        {
            if (_running.TryGetValue(marker, out var running))
            {
                Log.ConnectReplayed(logger, ticket.UserId, "shared_running");
                return await running.WaitAsync(cancellationToken);
            }

            if (IsCompleted(marker)) return await FromStoredRowAsync(ticket.UserId, marker, cancellationToken);

            var outcome = new TaskCompletionSource<ConnectResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_running.TryAdd(marker, outcome.Task)) continue;
            _ = RunAsync(ticket, marker, outcome);
            return await outcome.Task.WaitAsync(cancellationToken);
        }
    }

    private async Task RunAsync(CompleteTicket ticket, string marker, TaskCompletionSource<ConnectResult> outcome)
    {
        var codeSent = false;
        try
        {
            ConnectionRow? current;
            try
            {
                current = await store.GetConnectionAsync(ticket.UserId, CancellationToken.None);
            }
            catch (Exception ex) when (ex is TokenStoreException or Secrets.SecretUnavailableException or OperationCanceledException)
            {
                // Nothing sent to RingCentral: the same ticket may be posted again.
                outcome.SetResult(Fail(ticket.UserId, StoreUnavailableReason, CallbackMessages.SaveFailed));
                return;
            }

            if (StoredMarker(current) == marker)
            {
                codeSent = true; // sent before, by another instance or an earlier life of this one
                Log.ConnectReplayed(logger, ticket.UserId, "stored");
                outcome.SetResult(ConnectResult.Success(StoredLabel(current)));
                return;
            }

            codeSent = true;
            outcome.SetResult(await flow.CompleteAsync(ticket.UserId, ticket.Code, ticket.CodeVerifier, marker, CancellationToken.None));
        }
        catch (Exception ex)
        {
            outcome.TrySetException(ex);
        }
        finally
        {
            // Remembered before it stops running, so no caller sees neither.
            if (codeSent) Remember(marker);
            _running.TryRemove(marker, out _);
        }
    }

    private async Task<ConnectResult> FromStoredRowAsync(Guid userId, string marker, CancellationToken cancellationToken)
    {
        ConnectionRow? current;
        try
        {
            current = await store.GetConnectionAsync(userId, cancellationToken);
        }
        catch (Exception ex) when (ex is TokenStoreException or Secrets.SecretUnavailableException
                                   or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Fail(userId, StoreUnavailableReason, CallbackMessages.SaveFailed);
        }

        if (StoredMarker(current) == marker)
        {
            Log.ConnectReplayed(logger, userId, "stored");
            return ConnectResult.Success(StoredLabel(current));
        }

        return Fail(userId, AlreadyUsedReason, CallbackMessages.AlreadyUsed);
    }

    private ConnectResult Fail(Guid userId, string reason, string message)
    {
        Log.ConnectFailed(logger, userId, reason, null, null, "");
        telemetry.ConnectFailed(reason);
        return ConnectResult.Failure(reason, message);
    }

    private bool IsCompleted(string marker) =>
        _completed.TryGetValue(marker, out var until) && time.GetUtcNow() < until;

    private void Remember(string marker)
    {
        var now = time.GetUtcNow();
        _completed[marker] = now + Memory;
        foreach (var (key, until) in _completed)
            if (until <= now) _completed.TryRemove(key, out _);
    }

    private static string? StoredMarker(ConnectionRow? row) =>
        row is { Status: ConnectionRow.Connected, Config: { } config } && config[ConnectFlow.FlowMarkerKey] is JsonValue value
        && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static string? StoredLabel(ConnectionRow? row) =>
        row?.Config?["rc_email"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
