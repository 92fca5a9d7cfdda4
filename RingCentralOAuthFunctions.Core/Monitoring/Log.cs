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
        Message = "ConnectFailed for user {UserId}: {Reason} (RingCentral error: {ProviderError}; HTTP status: {HttpStatus}){OperatorHint}")]
    private static partial void ConnectFailedLine(ILogger logger, string userId, string reason, string providerError, string httpStatus, string operatorHint);

    /// <summary>No "(null)" in the line: an unknown user, error or status is said in words; no hint, no trailing text.</summary>
    public static void ConnectFailed(ILogger logger, Guid? userId, string reason, string? providerError, int? httpStatus, string operatorHint) =>
        ConnectFailedLine(logger, userId?.ToString() ?? Unknown, reason, providerError ?? None, Status(httpStatus),
            string.IsNullOrWhiteSpace(operatorHint) ? "" : ". " + operatorHint.Trim());

    /// <summary>Shown for a value a line does not have (never "(null)").</summary>
    private const string None = "none", Unknown = "unknown", NoAnswer = "no answer";
    private static string Status(int? httpStatus) => httpStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? None;

    [LoggerMessage(EventId = 1103, EventName = "ConnectRolledBack", Level = LogLevel.Warning,
        Message = "Connection for user {UserId} not saved (the rows are as before); new tokens revoked: {Revoked}")]
    public static partial void ConnectRolledBack(ILogger logger, Guid userId, bool revoked);

    [LoggerMessage(EventId = 1106, EventName = "ConnectRollbackUncertain", Level = LogLevel.Warning,
        Message = "Save ({Row}) for user {UserId} got no answer; the new tokens are revoked. If the save landed after all, the user must reconnect.")]
    public static partial void ConnectRollbackUncertain(ILogger logger, Guid userId, string row);

    [LoggerMessage(EventId = 1107, EventName = "ConnectSuperseded", Level = LogLevel.Warning,
        Message = "Connection for user {UserId} not saved: the user's connection changed after this flow claimed (another connect or a disconnect came first); this flow's new tokens revoked: {Revoked}")]
    public static partial void ConnectSuperseded(ILogger logger, Guid userId, bool revoked);

    [LoggerMessage(EventId = 1108, EventName = "ConnectFinishedAfterAbort", Level = LogLevel.Warning,
        Message = "The request for user {UserId} was cancelled after the code was sent to RingCentral; the flow went on with its own budget and ended {Outcome} ({Reason})")]
    public static partial void ConnectFinishedAfterAbort(ILogger logger, Guid userId, string outcome, string reason);

    [LoggerMessage(EventId = 1105, EventName = "AccountLabelUnavailable", Level = LogLevel.Information,
        Message = "Extension lookup for user {UserId} failed ({HttpStatus}); connecting without an account label")]
    private static partial void AccountLabelUnavailableLine(ILogger logger, Guid userId, string httpStatus);

    public static void AccountLabelUnavailable(ILogger logger, Guid userId, int? httpStatus) =>
        AccountLabelUnavailableLine(logger, userId, httpStatus is { } s ? $"HTTP {s}" : NoAnswer);

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
        Message = "Token revocation at RingCentral failed for user {UserId} (HTTP status: {HttpStatus}; RingCentral error: {ProviderError})")]
    private static partial void RevokeFailedLine(ILogger logger, Guid userId, string httpStatus, string providerError);

    public static void RevokeFailed(ILogger logger, Guid userId, int? httpStatus, string? providerError) =>
        RevokeFailedLine(logger, userId, httpStatus is null ? NoAnswer : Status(httpStatus), providerError ?? None);

    [LoggerMessage(EventId = 1202, EventName = "DisconnectFailed", Level = LogLevel.Error,
        Message = "Disconnect for user {UserId} failed at {Step}")]
    public static partial void DisconnectFailed(ILogger logger, Guid userId, string step);

    [LoggerMessage(EventId = 1204, EventName = "RevocationsRetried", Level = LogLevel.Information,
        Message = "Owed revocations retried: {Revoked} revoked, {StillOwed} still owed (tried again later)")]
    public static partial void RevocationsRetried(ILogger logger, int revoked, int stillOwed);

    [LoggerMessage(EventId = 1300, EventName = "StatusChecked", Level = LogLevel.Debug,
        Message = "Status for user {UserId}: {Status}")]
    public static partial void StatusChecked(ILogger logger, Guid userId, string status);

    [LoggerMessage(EventId = 1301, EventName = "StatusFailed", Level = LogLevel.Error,
        Message = "Status for user {UserId} could not be read from Supabase")]
    public static partial void StatusFailed(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 1400, EventName = "StoreRequestFailed", Level = LogLevel.Warning,
        Message = "Supabase {Operation} on {Table} failed (HTTP status: {HttpStatus}; PostgREST code: {PostgrestCode})")]
    private static partial void StoreRequestFailedLine(ILogger logger, string operation, string table, string httpStatus, string postgrestCode);

    public static void StoreRequestFailed(ILogger logger, string operation, string table, int? httpStatus, string? postgrestCode) =>
        StoreRequestFailedLine(logger, operation, table, httpStatus is null ? NoAnswer : Status(httpStatus), postgrestCode ?? None);

    [LoggerMessage(EventId = 1500, EventName = "AccessTokenRejected", Level = LogLevel.Information,
        Message = "Supabase access token rejected: {Reason}")]
    public static partial void AccessTokenRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 1501, EventName = "JwksUnavailable", Level = LogLevel.Error,
        Message = "Supabase JWKS could not be fetched ({Failure}); {Consequence}")]
    public static partial void JwksUnavailable(ILogger logger, string failure, string consequence);

    [LoggerMessage(EventId = 1600, EventName = "SecretUnavailable", Level = LogLevel.Error,
        Message = "Secret {SecretName} could not be read from Key Vault ({Reason}); {Consequence}. Asked again in the background; logged again only when it is readable")]
    public static partial void SecretUnavailable(ILogger logger, string secretName, string reason, string consequence);

    [LoggerMessage(EventId = 1602, EventName = "SecretReadable", Level = LogLevel.Information,
        Message = "Secret {SecretName} is readable from Key Vault again")]
    public static partial void SecretReadable(ILogger logger, string secretName);

    [LoggerMessage(EventId = 1700, EventName = "UpstreamCallFailed", Level = LogLevel.Warning,
        Message = "{Upstream} {Method} {Path} failed: {Failure}")]
    public static partial void UpstreamCallFailed(ILogger logger, string upstream, string method, string path, string failure);

    [LoggerMessage(EventId = 1010, EventName = "DependencyFailing", Level = LogLevel.Error,
        Message = "Dependency check {Dependency} is failing: {Setting} {Problem}")]
    public static partial void DependencyFailing(ILogger logger, string dependency, string setting, string problem);

    [LoggerMessage(EventId = 1011, EventName = "DependencyRecovered", Level = LogLevel.Information,
        Message = "Dependency check {Dependency} passes again")]
    public static partial void DependencyRecovered(ILogger logger, string dependency);

    [LoggerMessage(EventId = 1001, EventName = "SettingsFileUnreadable", Level = LogLevel.Error,
        Message = "Settings file {FileName} is ignored: {Problem}")]
    public static partial void SettingsFileUnreadable(ILogger logger, string fileName, string problem);

    [LoggerMessage(EventId = 1901, EventName = "BackgroundTaskFailed", Level = LogLevel.Error,
        Message = "Background task {Task} failed; the service keeps running ({Failure})")]
    public static partial void BackgroundTaskFailed(ILogger logger, string task, string failure);

    [LoggerMessage(EventId = 1601, EventName = "SecretRefreshed", Level = LogLevel.Debug,
        Message = "Secret {SecretName} refreshed from Key Vault")]
    public static partial void SecretRefreshed(ILogger logger, string secretName);

    [LoggerMessage(EventId = 1900, EventName = "UnexpectedError", Level = LogLevel.Error,
        Message = "Unexpected error in {Endpoint}")]
    public static partial void UnexpectedError(ILogger logger, string endpoint, Exception exception);

    // Status: the sync-staleness rule and the shared JWT credential (issue 17).

    [LoggerMessage(EventId = 1310, EventName = "StatusWriteSuperseded", Level = LogLevel.Debug,
        Message = "Status for user {UserId}: the connection row changed after it was read (a connect or the sync job came first); not written, answered from what was read")]
    public static partial void StatusWriteSuperseded(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 1311, EventName = "SharedJwtConnected", Level = LogLevel.Information,
        Message = "Status connected user {UserId} through the shared RingCentral JWT credential: the user's email matches its extension's")]
    public static partial void SharedJwtConnected(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 1312, EventName = "SharedJwtUnavailable", Level = LogLevel.Warning,
        Message = "The shared RingCentral JWT credential cannot be used: {Reason} (HTTP status: {HttpStatus}; RingCentral error: {ProviderError}). Users without a token row are not_connected; asked again after a minute, logged again only when the reason changes")]
    private static partial void SharedJwtUnavailableLine(ILogger logger, string reason, string httpStatus, string providerError);

    public static void SharedJwtUnavailable(ILogger logger, string reason, int? httpStatus, string? providerError) =>
        SharedJwtUnavailableLine(logger, reason, httpStatus is null ? NoAnswer : Status(httpStatus), providerError ?? None);

    [LoggerMessage(EventId = 1313, EventName = "SharedJwtRecovered", Level = LogLevel.Information,
        Message = "The shared RingCentral JWT credential works again")]
    public static partial void SharedJwtRecovered(ILogger logger);

    [LoggerMessage(EventId = 1314, EventName = "UserEmailLookupFailed", Level = LogLevel.Warning,
        Message = "Supabase Auth user lookup for user {UserId} failed (HTTP status: {HttpStatus}); the shared JWT credential is not tried")]
    private static partial void UserEmailLookupFailedLine(ILogger logger, Guid userId, string httpStatus);

    public static void UserEmailLookupFailed(ILogger logger, Guid userId, int? httpStatus) =>
        UserEmailLookupFailedLine(logger, userId, httpStatus is null ? NoAnswer : Status(httpStatus));

    [LoggerMessage(EventId = 1315, EventName = "FeatureSettingProblem", Level = LogLevel.Warning,
        Message = "Setting {SettingName} is {Problem}. The rest of the service works; Health answers 503 until it is fixed")]
    public static partial void FeatureSettingProblem(ILogger logger, string settingName, string problem);

    // A Callback whose state cannot be opened is anonymous noise: the first of a minute is a line, the rest a count.

    [LoggerMessage(EventId = 1124, EventName = "CallbackRejected", Level = LogLevel.Information,
        Message = "CallbackRejected: a callback's state could not be opened ({Reason}); nothing done. Further ones in the next {WindowSeconds} s are counted, not logged one by one")]
    public static partial void CallbackRejected(ILogger logger, string reason, int windowSeconds);

    [LoggerMessage(EventId = 1125, EventName = "CallbackRejectedCount", Level = LogLevel.Information,
        Message = "CallbackRejectedCount: {Count} more callbacks with a state that could not be opened in the last {WindowSeconds} s; nothing done")]
    public static partial void CallbackRejectedCount(ILogger logger, int count, int windowSeconds);
}
