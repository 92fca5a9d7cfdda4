using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>POST /api/ringcentral/complete</c>, body <c>{"ticket":"…"}</c>, bearer token: the ERP window that asked for the
/// authorize URL finishes the connection with the ticket the Callback put in the popup's fragment. Only the user the
/// ticket names may finish it (RFC 9700 section 4.7.1: the flow is bound to the session that started it); anyone
/// else gets 403, nothing is exchanged, and the flow is recorded as refused (the ticket is then dead for everyone).
/// Each flow is completed once (<see cref="OncePerFlow"/>). Past the per-user limit (counted in the database with
/// each claim, for all instances: <see cref="ConnectFlow.PermitsPerWindow"/>), 429 with <c>Retry-After</c> and nothing
/// sent to RingCentral.
/// </summary>
public sealed class CompleteEndpoint(
    BearerAuthentication authentication,
    StateKeySource keys,
    TicketProtector tickets,
    OncePerFlow oncePerFlow,
    Telemetry telemetry,
    ILogger<CompleteEndpoint> logger)
{
    public const string InvalidTicket = "This sign-in could not be finished. Please start again from the Integrations page.";
    public const string OtherUser = "This sign-in was started by another ERP user. Please start again from your own Integrations page.";
    public const string TooManyAttempts = "Too many connection attempts. Please wait a minute and try again.";

    /// <summary>Every <c>error</c> text Complete can answer, besides the gate's (401, 413, 503) and 500's.</summary>
    public static readonly IReadOnlySet<string> Messages = new HashSet<string>(CallbackMessages.All) { InvalidTicket, OtherUser, TooManyAttempts };

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            request.EnableBuffering(); // the size gate may read a body without a length; the ticket is read after it
            var (user, refusal) = await authentication.AuthenticateAsync(request, cancellationToken);
            if (user is null) return refusal!;

            request.Body.Position = 0;
            var encoded = await ReadTicketAsync(request, cancellationToken);
            CompleteTicket? ticket = null;
            var rejection = encoded is null ? EnvelopeRejection.Missing : tickets.TryOpen(encoded, await keys.GetAsync(cancellationToken), out ticket);
            if (ticket is null)
            {
                var reason = rejection.ReasonFor("ticket");
                Log.ConnectFailed(logger, user.Id, reason, null, null, "");
                telemetry.ConnectFailed(reason);
                return ApiResponses.Error(request, StatusCodes.Status400BadRequest, InvalidTicket);
            }

            if (ticket.UserId != user.Id)
            {
                Log.ConnectRefused(logger, user.Id, "other_user");
                telemetry.ConnectRefused("other_user");
                await oncePerFlow.RefuseAsync(ticket);
                return ApiResponses.Error(request, StatusCodes.Status403Forbidden, OtherUser);
            }

            var result = await oncePerFlow.RunOnceAsync(ticket, cancellationToken);
            if (result.Failure == ConnectFailure.RateLimited)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(result.RetryAfter.TotalSeconds));
                Log.ConnectRateLimited(logger, user.Id, seconds);
                telemetry.ConnectRateLimited();
                request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return ApiResponses.Error(request, StatusFor(result.Failure), TooManyAttempts);
            }

            return result.Succeeded
                ? ApiResponses.Ok(request, new CompleteResponse(ConnectedStatus, result.Email ?? ""))
                : ApiResponses.Error(request, StatusFor(result.Failure), result.Failure == ConnectFailure.NotConfigured ? ApiResponses.NotConfigured : result.Message);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ApiResponses.FromException(request, ex, logger, nameof(CompleteEndpoint));
        }
    }

    public const string ConnectedStatus = "connected";

    /// <summary>The one mapping of a connect's failure to HTTP: RingCentral or Supabase unavailable, or a secret unreadable: 503 (try again later; a secret's answer is the gate's own text); a flow already used: 409; past the limit: 429; RingCentral refusing the code (or another flow winning): 400.</summary>
    internal static int StatusFor(ConnectFailure failure) => failure switch
    {
        ConnectFailure.ExchangeUnavailable or ConnectFailure.ExchangeRateLimited => StatusCodes.Status503ServiceUnavailable,
        ConnectFailure.StoreUnavailable or ConnectFailure.StoreFailed or ConnectFailure.NotConfigured => StatusCodes.Status503ServiceUnavailable,
        ConnectFailure.AlreadyUsed => StatusCodes.Status409Conflict,
        ConnectFailure.RateLimited => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The <c>ticket</c> string of a JSON object body; null for anything else (no body, not JSON, no or a non-string ticket).</summary>
    private static async Task<string?> ReadTicketAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 4 }, cancellationToken);
            return json.RootElement.ValueKind == JsonValueKind.Object
                   && json.RootElement.TryGetProperty("ticket", out var ticket) && ticket.ValueKind == JsonValueKind.String
                ? ticket.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public sealed record CompleteResponse(string Status, string Email);
}
