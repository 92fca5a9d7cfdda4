using Microsoft.Extensions.Logging;

namespace RingCentralOAuthFunctions.Monitoring;

/// <summary>
/// Every log line the app writes, in one place so it can be reviewed for what it may leak.
/// Parameters are user ids, reason codes, RingCentral error codes, HTTP statuses and setting names:
/// never a token, code, secret, state value or free text from a request.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, EventName = "SettingProblem", Level = LogLevel.Error,
        Message = "Setting {SettingName} is {Problem}; the service answers 503 until it is fixed")]
    public static partial void SettingProblem(ILogger logger, string settingName, string problem);

    [LoggerMessage(EventId = 1100, EventName = "ConnectStarted", Level = LogLevel.Information,
        Message = "ConnectStarted for user {UserId}")]
    public static partial void ConnectStarted(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 1101, EventName = "ConnectSucceeded", Level = LogLevel.Information,
        Message = "ConnectSucceeded for user {UserId} (account label known: {HasAccountLabel})")]
    public static partial void ConnectSucceeded(ILogger logger, Guid userId, bool hasAccountLabel);

    [LoggerMessage(EventId = 1102, EventName = "ConnectFailed", Level = LogLevel.Warning,
        Message = "ConnectFailed for user {UserId}: {Reason} (RingCentral error {ProviderError}, HTTP {HttpStatus}). {OperatorHint}")]
    public static partial void ConnectFailed(ILogger logger, Guid? userId, string reason, string? providerError, int? httpStatus, string operatorHint);

    [LoggerMessage(EventId = 1103, EventName = "ConnectRolledBack", Level = LogLevel.Warning,
        Message = "Connection for user {UserId} not saved; earlier rows restored and new tokens revoked: {Revoked}")]
    public static partial void ConnectRolledBack(ILogger logger, Guid userId, bool revoked);

    [LoggerMessage(EventId = 1104, EventName = "ConnectRollbackFailed", Level = LogLevel.Critical,
        Message = "Connection for user {UserId} half saved: the {Row} row could not be restored; tokens a restored-or-absent row does not hold are revoked, stored ones kept valid. Check both rows.")]
    public static partial void ConnectRollbackFailed(ILogger logger, Guid userId, string row);

    [LoggerMessage(EventId = 1106, EventName = "ConnectRollbackUncertain", Level = LogLevel.Warning,
        Message = "Save to {Row} for user {UserId} got no answer and could not be undone; the new tokens are revoked. If the save landed after all, the user must reconnect.")]
    public static partial void ConnectRollbackUncertain(ILogger logger, Guid userId, string row);

    [LoggerMessage(EventId = 1105, EventName = "AccountLabelUnavailable", Level = LogLevel.Information,
        Message = "Extension lookup for user {UserId} failed (HTTP {HttpStatus}); connecting without an account label")]
    public static partial void AccountLabelUnavailable(ILogger logger, Guid userId, int? httpStatus);

    [LoggerMessage(EventId = 1123, EventName = "CallbackTicketIssued", Level = LogLevel.Information,
        Message = "CallbackTicketIssued for user {UserId}: state checked, ticket handed to the popup for Complete")]
    public static partial void CallbackTicketIssued(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 1120, EventName = "ConnectRefused", Level = LogLevel.Warning,
        Message = "ConnectRefused for user {UserId}: {Reason}; nothing exchanged, nothing written")]
    public static partial void ConnectRefused(ILogger logger, Guid userId, string reason);

    [LoggerMessage(EventId = 1121, EventName = "ConnectRateLimited", Level = LogLevel.Warning,
        Message = "ConnectRateLimited for user {UserId}: too many Completes; retry after {RetryAfterSeconds} s")]
    public static partial void ConnectRateLimited(ILogger logger, Guid userId, int retryAfterSeconds);

    [LoggerMessage(EventId = 1122, EventName = "ConnectReplayed", Level = LogLevel.Information,
        Message = "ConnectReplayed for user {UserId}: a flow already completed or running ({Answer}); RingCentral not called again")]
    public static partial void ConnectReplayed(ILogger logger, Guid userId, string answer);

    [LoggerMessage(EventId = 1200, EventName = "Disconnected", Level = LogLevel.Information,
        Message = "Disconnected user {UserId} (had connection: {HadConnection}, revoked at RingCentral: {Revoked})")]
    public static partial void Disconnected(ILogger logger, Guid userId, bool hadConnection, bool revoked);

    [LoggerMessage(EventId = 1201, EventName = "RevokeFailed", Level = LogLevel.Warning,
        Message = "Token revocation at RingCentral failed for user {UserId} (HTTP {HttpStatus}, error {ProviderError})")]
    public static partial void RevokeFailed(ILogger logger, Guid userId, int? httpStatus, string? providerError);

    [LoggerMessage(EventId = 1202, EventName = "DisconnectFailed", Level = LogLevel.Error,
        Message = "Disconnect for user {UserId} failed at {Step}")]
    public static partial void DisconnectFailed(ILogger logger, Guid userId, string step);

    [LoggerMessage(EventId = 1300, EventName = "StatusChecked", Level = LogLevel.Debug,
        Message = "Status for user {UserId}: {Status}")]
    public static partial void StatusChecked(ILogger logger, Guid userId, string status);

    [LoggerMessage(EventId = 1301, EventName = "StatusFailed", Level = LogLevel.Error,
        Message = "Status for user {UserId} could not be read from Supabase")]
    public static partial void StatusFailed(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 1400, EventName = "StoreRequestFailed", Level = LogLevel.Warning,
        Message = "Supabase {Operation} on {Table} failed: HTTP {HttpStatus}, PostgREST code {PostgrestCode}")]
    public static partial void StoreRequestFailed(ILogger logger, string operation, string table, int? httpStatus, string? postgrestCode);

    [LoggerMessage(EventId = 1500, EventName = "AccessTokenRejected", Level = LogLevel.Information,
        Message = "Supabase access token rejected: {Reason}")]
    public static partial void AccessTokenRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 1501, EventName = "JwksUnavailable", Level = LogLevel.Error,
        Message = "Supabase JWKS could not be fetched (HTTP {HttpStatus}); {Consequence}")]
    public static partial void JwksUnavailable(ILogger logger, int? httpStatus, string consequence);

    [LoggerMessage(EventId = 1600, EventName = "SecretUnavailable", Level = LogLevel.Error,
        Message = "Secret {SecretName} could not be read from Key Vault ({Reason})")]
    public static partial void SecretUnavailable(ILogger logger, string secretName, string reason);

    [LoggerMessage(EventId = 1601, EventName = "SecretRefreshed", Level = LogLevel.Debug,
        Message = "Secret {SecretName} refreshed from Key Vault")]
    public static partial void SecretRefreshed(ILogger logger, string secretName);

    [LoggerMessage(EventId = 1900, EventName = "UnexpectedError", Level = LogLevel.Error,
        Message = "Unexpected error in {Endpoint}")]
    public static partial void UnexpectedError(ILogger logger, string endpoint, Exception exception);
}
