namespace RingCentralOAuthFunctions.Supabase;

/// <summary>What Status needs of the token row: no tokens.</summary>
public sealed record TokenRowSummary(string RcEmail, DateTimeOffset? UpdatedAt);
