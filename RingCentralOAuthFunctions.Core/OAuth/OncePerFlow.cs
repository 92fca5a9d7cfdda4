using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.OAuth;

/// <summary>
/// Runs each flow (one GetAuthUrl, named by its flow id) at most once, so RingCentral never sees its code twice
/// (RFC 6749 section 4.1.2: a server may then revoke every token of that code, killing the stored connection). The
/// database decides, on every instance: <see cref="ConnectFlow"/> first claims the flow by its marker
/// (<c>ringcentral_oauth_flows</c>), and only the first claim sends the code. A later Complete of the flow gets its
/// recorded outcome: success with the stored account label while the connection it made is still the stored one
/// (a refreshed or doubly loaded popup does not show a false error), else 409.
/// Within this instance, a second Complete of a flow that is running waits for it and shares its outcome.
/// A ticket another user's session posted (403) is recorded as refused: it is then dead for its own user too.
/// </summary>
public sealed class OncePerFlow(ConnectFlow flow, IFlowStore store, ILogger<OncePerFlow> logger)
{
    private readonly ConcurrentDictionary<string, Task<ConnectResult>> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// What the flows table is keyed by and <c>config.flow</c> holds for a flow id: a SHA-256, base64url, never the id
    /// itself (the same value the service wrote before the migration, so a flow completed then is still recognised).
    /// </summary>
    public static string MarkerOf(string flowId) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes("ringcentral-oauth-functions/flow/v1:" + flowId)));

    /// <param name="cancellationToken">Stops the caller's wait only: once started, a completion runs to its end (the code may be spent).</param>
    public async Task<ConnectResult> RunOnceAsync(CompleteTicket ticket, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var marker = MarkerOf(ticket.FlowId);
        while (true)
        {
            if (_running.TryGetValue(marker, out var running))
            {
                Log.ConnectReplayed(logger, ticket.UserId, "shared_running");
                return await running.WaitAsync(cancellationToken);
            }

            var outcome = new TaskCompletionSource<ConnectResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_running.TryAdd(marker, outcome.Task)) continue;
            _ = RunAsync(ticket, marker, outcome);
            return await outcome.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Records the ticket's flow as refused (another user's session posted it), so nobody can complete it. Best effort, on its own budget.</summary>
    public async Task RefuseAsync(CompleteTicket ticket)
    {
        using var timeout = new CancellationTokenSource(ConnectFlow.RevokeBudget);
        try
        {
            await store.RefuseFlowAsync(MarkerOf(ticket.FlowId), ticket.UserId, timeout.Token);
        }
        catch (Exception ex) when (TokenStoreException.IsStoreFailure(ex))
        {
            // Logged by the store; the refusal is answered all the same.
        }
    }

    private async Task RunAsync(CompleteTicket ticket, string marker, TaskCompletionSource<ConnectResult> outcome)
    {
        try
        {
            outcome.SetResult(await flow.CompleteAsync(ticket.UserId, ticket.Code, ticket.CodeVerifier, marker, CancellationToken.None));
        }
        catch (Exception ex)
        {
            outcome.TrySetException(ex);
        }
        finally
        {
            _running.TryRemove(marker, out _);
        }
    }
}
