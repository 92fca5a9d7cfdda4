using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Endpoints;

/// <summary>
/// <c>GET /api/ringcentral/callback</c>: where RingCentral sends the popup. Checks the sealed state and the code's
/// shape, calls nothing upstream and writes nothing: on success it seals a short-lived ticket (user, code, verifier,
/// flow id) and answers 302 to <c>OAuth:AppRedirectUrl?status=success&amp;integration=ringcentral#ticket=…</c>, for the
/// window that started the flow to finish it with Complete under its own session. Errors: 302 with
/// <c>status=error</c> and one of <see cref="CallbackMessages"/>.
/// </summary>
public sealed class CallbackEndpoint(
    SettingsCheck settings,
    StateKeySource stateKeys,
    StateProtector protector,
    TicketProtector tickets,
    IOptions<OAuthOptions> oauth,
    Telemetry telemetry,
    TimeProvider time,
    ILogger<CallbackEndpoint> logger) : IDisposable
{
    /// <summary>How long after a logged rejection further ones are only counted.</summary>
    public static readonly TimeSpan RejectionLogWindow = TimeSpan.FromMinutes(1);

    private readonly Lock _rejections = new();
    private ITimer? _rejectionWindow;
    private int _rejectedInWindow;

    /// <summary>RingCentral's codes are far shorter, and printable ASCII without spaces; anything else is not a code.</summary>
    public const int MaxCodeLength = CompleteTicket.MaxCodeLength;

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await CheckAsync(request, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (ex is Secrets.SecretUnavailableException) return Failed(request, null, "not_configured", CallbackMessages.NotConfigured);
            Log.UnexpectedError(logger, nameof(CallbackEndpoint), ex);
            return Failed(request, null, "unexpected", CallbackMessages.SaveFailed);
        }
    }

    private async Task<IResult> CheckAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (await RequestLimits.BodyTooLargeAsync(request, cancellationToken))
            return Rejected(request, "request_too_large", CallbackMessages.InvalidState);

        var query = request.Query;
        if (query.ContainsKey("error"))
        {
            var error = Single(query, "error");
            var code = error is { Length: > 0 and <= 64 } && error.All(c => char.IsAsciiLetterLower(c) || c == '_') ? error : null;
            var message = CallbackMessages.ForProviderError(code ?? "");
            // RingCentral sends back the state it was given: opening it names the user in the log (a Deny is theirs),
            // and a provider error with a state that does not open did not come from one of our flows.
            if (!await settings.IsReadyAsync(cancellationToken))
                return Failed(request, null, "provider_error", message, code);
            var deniedRejection = protector.TryOpen(Single(query, "state"), await stateKeys.GetAsync(cancellationToken), out var denied);
            return deniedRejection == EnvelopeRejection.None
                ? Failed(request, denied!.UserId, "provider_error", message, code)
                : Rejected(request, StateReason(deniedRejection), message);
        }

        if (!await settings.IsReadyAsync(cancellationToken))
            return Failed(request, null, "not_configured", CallbackMessages.NotConfigured);

        var keys = await stateKeys.GetAsync(cancellationToken);
        var rejection = protector.TryOpen(Single(query, "state"), keys, out var state);
        if (rejection != EnvelopeRejection.None)
            return Rejected(request, StateReason(rejection), CallbackMessages.InvalidState);

        var authorizationCode = Single(query, "code");
        if (authorizationCode is not { Length: > 0 and <= MaxCodeLength } || !authorizationCode.All(c => c is > ' ' and < '\u007f'))
            return Failed(request, state!.UserId, "missing_code", CallbackMessages.MissingCode);

        Log.CallbackTicketIssued(logger, state!.UserId);
        return Redirect(request, AppRedirect.SuccessWithTicket(AppRedirectUrl, tickets.Seal(state, authorizationCode, keys)));
    }

    /// <summary>A parameter given exactly once; repeated or absent is null.</summary>
    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;

    private IResult Failed(HttpRequest request, Guid? userId, string reason, string message, string? providerError = null)
    {
        Log.ConnectFailed(logger, userId, reason, providerError, null, "");
        telemetry.ConnectFailed(reason);
        return Redirect(request, AppRedirect.Error(AppRedirectUrl, message));
    }

    private static string StateReason(EnvelopeRejection rejection) => rejection.ReasonFor("state");

    /// <summary>
    /// A callback that is not part of any flow of ours (its state does not open, or it carries a body): counted as
    /// <c>bad_request</c>, which the failed-connect alert leaves out, and logged once per window with a count after it,
    /// so anonymous garbage can neither page the operators nor flood the log.
    /// </summary>
    private IResult Rejected(HttpRequest request, string reason, string message)
    {
        telemetry.CallbackBadRequest(reason);
        bool first;
        lock (_rejections)
        {
            first = _rejectionWindow is null;
            if (first) _rejectionWindow = time.CreateTimer(_ => CloseRejectionWindow(), null, RejectionLogWindow, Timeout.InfiniteTimeSpan);
            else _rejectedInWindow++;
        }

        if (first) Log.CallbackRejected(logger, reason, (int)RejectionLogWindow.TotalSeconds);
        return Redirect(request, AppRedirect.Error(AppRedirectUrl, message));
    }

    private void CloseRejectionWindow()
    {
        int more;
        lock (_rejections)
        {
            more = _rejectedInWindow;
            _rejectedInWindow = 0;
            _rejectionWindow?.Dispose();
            _rejectionWindow = null;
        }

        try
        {
            if (more > 0) Log.CallbackRejectedCount(logger, more, (int)RejectionLogWindow.TotalSeconds);
        }
        catch (ObjectDisposedException)
        {
            // the host stopped while the window was open: nothing left to log to
        }
    }

    public void Dispose()
    {
        lock (_rejections)
        {
            _rejectionWindow?.Dispose();
            _rejectionWindow = null;
        }
    }

    /// <summary>The configured ERP page when it is a valid absolute URL, else the built-in default: never anything from the request.</summary>
    private string AppRedirectUrl =>
        Uri.TryCreate(oauth.Value.AppRedirectUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? oauth.Value.AppRedirectUrl
            : OAuthOptions.DefaultAppRedirectUrl;

    /// <summary>
    /// A 302 written by hand: ASP.NET Core's RedirectResult logs its destination (at Information), and a success's
    /// destination carries the ticket.
    /// </summary>
    private static IResult Redirect(HttpRequest request, string location)
    {
        ApiResponses.NoStore(request);
        var headers = request.HttpContext.Response.Headers;
        headers["Referrer-Policy"] = "no-referrer";
        headers.Location = location;
        return Results.StatusCode(StatusCodes.Status302Found);
    }
}
