using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace RingCentralOAuthFunctions.Monitoring;

/// <summary>
/// The app's spans: one per function call (named after the function) and one per upstream call (RingCentral,
/// PostgREST, JWKS, Key Vault), each a child of the function's span. Names and attributes are fixed codes, paths
/// and HTTP statuses: never a query string, header, token, code, state, key or user JWT.
/// </summary>
public static class Tracing
{
    public const string SourceName = "RingCentralOAuthFunctions";

    /// <summary>Attribute on every function span: the function's name (also the span's name).</summary>
    public const string FunctionAttribute = "ringcentral.function";

    /// <summary>Attribute on every upstream span: one of <see cref="Upstreams"/>.</summary>
    public const string UpstreamAttribute = "ringcentral.upstream";

    /// <summary>Attribute on every upstream span: <c>ok</c>, <c>rejected</c>, <c>unavailable</c> or <c>cancelled</c>.</summary>
    public const string OutcomeAttribute = "ringcentral.outcome";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the span of one function call; dispose it when the call ends (see <see cref="EndFunction"/>).</summary>
    public static Activity? StartFunction(string functionName)
    {
        var activity = Source.StartActivity(functionName, ActivityKind.Internal);
        activity?.SetTag(FunctionAttribute, functionName);
        return activity;
    }

    /// <summary>Marks the function's span failed when it threw or answered 5xx; records the HTTP status it answered.</summary>
    public static void EndFunction(Activity? activity, object? result, Exception? exception)
    {
        if (activity is null) return;
        if (exception is not null)
        {
            activity.SetTag("error.type", exception.GetType().FullName);
            activity.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            return;
        }

        if (result is IStatusCodeHttpResult { StatusCode: { } status })
        {
            activity.SetTag("http.response.status_code", status);
            if (status >= 500) activity.SetStatus(ActivityStatusCode.Error, "HTTP " + status);
        }
    }
}

/// <summary>The values of <see cref="Tracing.UpstreamAttribute"/> and of the <c>upstream</c> metric dimension.</summary>
public static class Upstreams
{
    public const string RingCentral = "ringcentral";
    public const string SupabaseRest = "supabase_rest";
    public const string SupabaseJwks = "supabase_jwks";
    public const string KeyVault = "key_vault";
    /// <summary>Supabase Auth's admin API (a user's email, when the access token has none).</summary>
    public const string SupabaseAuth = "supabase_auth";

    public static readonly IReadOnlyList<string> All = [RingCentral, SupabaseRest, SupabaseJwks, KeyVault, SupabaseAuth];
}
