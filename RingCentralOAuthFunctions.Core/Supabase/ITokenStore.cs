namespace RingCentralOAuthFunctions.Supabase;

/// <summary>
/// The token row as Status reads it (its label and version, never the tokens). Every write of a connect or a
/// disconnect goes through <see cref="IFlowStore"/>: one database function call each, so each is one transaction.
/// </summary>
public interface ITokenStore
{
    Task<TokenRowSummary?> GetTokenSummaryAsync(Guid userId, CancellationToken cancellationToken);
}
