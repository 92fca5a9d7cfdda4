namespace RingCentralOAuthFunctions.Supabase;

/// <summary>A PostgREST call failed. Carries the HTTP status and PostgREST's error <c>code</c>, never the body.</summary>
public sealed class TokenStoreException(string operation, string table, int? httpStatus, string? postgrestCode, Exception? inner = null)
    : Exception($"Supabase {operation} on {table} failed (HTTP {httpStatus?.ToString() ?? "none"}, code {postgrestCode ?? "none"}).", inner)
{
    public string Operation { get; } = operation;
    public string Table { get; } = table;
    public int? HttpStatus { get; } = httpStatus;
    public string? PostgrestCode { get; } = postgrestCode;
}
