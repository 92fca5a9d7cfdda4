using RingCentralOAuthFunctions.Secrets;

namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// A PostgREST call failed: the one failure of this folder's stores. Carries the HTTP status and PostgREST's error
/// <c>code</c>, never the body; a service key that could not be read is one too (<see cref="NotConfigured"/>, nothing sent).
/// </summary>
public sealed class TokenStoreException(string operation, string table, int? httpStatus, string? postgrestCode, Exception? inner = null)
    : Exception($"Supabase {operation} on {table} failed (HTTP {httpStatus?.ToString() ?? "none"}, code {postgrestCode ?? "none"}).", inner)
{
    public string Operation { get; } = operation;
    public string Table { get; } = table;
    public int? HttpStatus { get; } = httpStatus;
    public string? PostgrestCode { get; } = postgrestCode;

    /// <summary>The service key could not be read (Key Vault or settings): nothing was sent.</summary>
    public bool NotConfigured => InnerException is SecretUnavailableException;

    /// <summary>What a caller of a store handles as "the store did not do it": its failure, or the caller's own budget running out.</summary>
    public static bool IsStoreFailure(Exception ex) => ex is TokenStoreException or OperationCanceledException;
}
