namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// The two ERP tables, read directly (Status). Every write goes through <see cref="IFlowStore"/>: one database
/// function call each, so each is one transaction.
/// </summary>
public interface ITokenStore
{
    Task<TokenRow?> GetTokensAsync(Guid userId, CancellationToken cancellationToken);
    Task<TokenRowSummary?> GetTokenSummaryAsync(Guid userId, CancellationToken cancellationToken);
    Task<ConnectionRow?> GetConnectionAsync(Guid userId, CancellationToken cancellationToken);
    Task MarkConnectionCheckedAsync(Guid userId, DateTimeOffset checkedAt, CancellationToken cancellationToken);
}
