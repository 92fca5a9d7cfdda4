using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>GET /api/ringcentral/status</c>: the caller's connection as the ERP shows it. Reads the token row's label
/// only (never the tokens) and never calls RingCentral: refreshing here would rotate the single-use refresh token
/// under the other ERP functions that use it.
/// </summary>
public sealed class StatusEndpoint(BearerAuthentication authentication, ITokenStore store, TimeProvider time, ILogger<StatusEndpoint> logger)
{
    public const int MaxErrorLength = 500;

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;

            var summaryTask = store.GetTokenSummaryAsync(user.Id, cancellationToken);
            var connectionTask = store.GetConnectionAsync(user.Id, cancellationToken);
            TokenRowSummary? summary;
            ConnectionRow? connection;
            try
            {
                summary = await summaryTask;
                connection = await connectionTask;
            }
            catch (TokenStoreException)
            {
                try { await connectionTask; } catch (TokenStoreException) { }
                Log.StatusFailed(logger, user.Id);
                return ApiResponses.Error(request, StatusCodes.Status503ServiceUnavailable, ApiResponses.StoreUnavailable);
            }

            if (connection is not null)
            {
                try
                {
                    await store.MarkConnectionCheckedAsync(user.Id, time.GetUtcNow(), cancellationToken);
                }
                catch (TokenStoreException)
                {
                    // Logged by the store; the answer does not depend on it.
                }
            }

            object body = summary switch
            {
                null => new { status = "not_connected" },
                _ when connection?.Status == ConnectionRow.Error => new
                {
                    status = "error",
                    error = Bound(connection.ErrorMessage) ?? "RingCentral reported an error for this connection. Reconnect to fix it.",
                    email = summary.RcEmail,
                },
                _ => new { status = "connected", email = summary.RcEmail },
            };
            Log.StatusChecked(logger, user.Id, summary is null ? "not_connected" : connection?.Status == ConnectionRow.Error ? "error" : "connected");
            return ApiResponses.Ok(request, body);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(StatusEndpoint));
        }
    }

    private static string? Bound(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
}
