using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Configuration;

/// <summary>
/// Names (never values) of the settings that are missing or malformed. The endpoints answer 503 while
/// this list is not empty, Health lists it, and <see cref="SettingsStartupLog"/> logs it once at start.
/// </summary>
public sealed class SettingsCheck(
    IOptions<RingCentralOptions> ringCentral,
    IOptions<SupabaseOptions> supabase,
    IOptions<OAuthOptions> oauth,
    IOptions<CorsOptions> cors,
    ISecretSource secrets,
    TimeProvider time)
{
    /// <summary>How long a readiness answer is reused by the request path (Health always checks afresh).</summary>
    public static readonly TimeSpan ReadinessCacheLifetime = TimeSpan.FromSeconds(10);

    private (DateTimeOffset At, bool Ready)? _readiness;

    /// <summary>Whether every setting is present and well formed; cached briefly so requests do not re-check.</summary>
    public async ValueTask<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_readiness is { } r && now - r.At < ReadinessCacheLifetime) return r.Ready;
        var ready = (await FindProblemsAsync(cancellationToken)).Count == 0;
        _readiness = (now, ready);
        return ready;
    }

    public async Task<IReadOnlyList<SettingProblem>> FindProblemsAsync(CancellationToken cancellationToken)
    {
        var problems = new List<SettingProblem>();
        CheckUrl(problems, "RingCentral:ServerUrl", ringCentral.Value.ServerUrl);
        if (string.IsNullOrWhiteSpace(ringCentral.Value.ClientId)) problems.Add(new("RingCentral:ClientId", "missing"));
        CheckUrl(problems, "Supabase:Url", supabase.Value.Url);
        CheckUrl(problems, "OAuth:CallbackUrl", oauth.Value.CallbackUrl);
        CheckUrl(problems, "OAuth:AppRedirectUrl", oauth.Value.AppRedirectUrl);
        foreach (var origin in cors.Value.Origins())
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
                problems.Add(new("Cors:AllowedOrigins", "malformed (scheme://host[:port], comma-separated)"));
        }

        foreach (var secret in AppSecret.All)
        {
            SecretValue value;
            try
            {
                value = await secrets.GetAsync(secret, cancellationToken);
            }
            catch (SecretUnavailableException)
            {
                problems.Add(new(secret.DisplayName, "unreadable"));
                continue;
            }

            if (value.IsMissing)
            {
                if (secret.Required) problems.Add(new(secret.DisplayName, "missing"));
            }
            else if (secret == AppSecret.StateKey && !StateKeyRing.TryParse(value.Value, out _))
            {
                problems.Add(new(secret.DisplayName, "malformed (base64 of 32 bytes, comma-separated for rotation)"));
            }
        }

        return problems;
    }

    private static void CheckUrl(List<SettingProblem> problems, string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(new(name, "missing"));
        }
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
                 || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                 || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            problems.Add(new(name, "malformed (absolute http(s) URL without query)"));
        }
    }
}

public sealed record SettingProblem(string Name, string Problem);
