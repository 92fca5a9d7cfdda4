using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.State;

namespace RingCentralOAuthFunctions.Health;

/// <summary>
/// Names (never values) of the settings that are missing, placeholders or malformed. The endpoints answer 503 while
/// this list is not empty, Health lists it, and <see cref="SettingsStartupLog"/> logs it once at start.
/// </summary>
public sealed partial class SettingsCheck(
    IOptions<RingCentralOptions> ringCentral,
    IOptions<SupabaseOptions> supabase,
    IOptions<OAuthOptions> oauth,
    IOptions<CorsOptions> cors,
    IOptions<KeyVaultOptions> keyVault,
    IEnumerable<StartupProblem> startupProblems,
    ISecretSource secrets,
    TimeProvider time)
{
    /// <summary>How long a readiness answer is reused by the request path (Health always checks afresh).</summary>
    public static readonly TimeSpan ReadinessCacheLifetime = TimeSpan.FromSeconds(10);

    public const string Placeholder = "a placeholder (<...>): replace it with the real value";
    public const string NotHttps = "not https (plain http is allowed only for localhost, 127.0.0.1 and [::1])";

    /// <summary>Immutable, replaced whole: a reader sees either the old answer or the new one, never half of each.</summary>
    private sealed record Readiness(DateTimeOffset At, bool Ready);

    private Readiness? _readiness;

    /// <summary>Whether every setting is present and well formed; cached briefly so requests do not re-check.</summary>
    public async ValueTask<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (Volatile.Read(ref _readiness) is { } r && now - r.At < ReadinessCacheLifetime) return r.Ready;
        var ready = (await FindProblemsAsync(cancellationToken)).Count == 0;
        Volatile.Write(ref _readiness, new Readiness(now, ready));
        return ready;
    }

    public async Task<IReadOnlyList<SettingProblem>> FindProblemsAsync(CancellationToken cancellationToken)
    {
        var problems = startupProblems.Select(p => new SettingProblem(p.Name, p.Problem)).ToList();
        CheckUrl(problems, "RingCentral:ServerUrl", ringCentral.Value.ServerUrl, httpsOnly: true);
        CheckText(problems, "RingCentral:ClientId", ringCentral.Value.ClientId);
        if (CheckUrl(problems, "Supabase:Url", supabase.Value.Url, httpsOnly: true) is { } supabaseUrl && supabaseUrl.AbsolutePath != "/")
            problems.Add(new("Supabase:Url", "has a path: use the project URL alone (https://<ref>.supabase.co), without /rest/v1 or /auth/v1"));
        CheckUrl(problems, "OAuth:CallbackUrl", oauth.Value.CallbackUrl, httpsOnly: true);
        // The success redirect carries the ticket (in the fragment): never to a plain-http page off this machine.
        CheckUrl(problems, "OAuth:AppRedirectUrl", oauth.Value.AppRedirectUrl, httpsOnly: true);
        if (!string.IsNullOrWhiteSpace(keyVault.Value.Uri))
            CheckUrl(problems, "KeyVault:Uri", keyVault.Value.Uri, httpsOnly: true);
        CheckOrigins(problems, cors.Value.Origins());

        foreach (var secret in AppSecret.All)
        {
            SecretValue value;
            try
            {
                value = await secrets.GetAsync(secret, cancellationToken);
            }
            catch (SecretUnavailableException ex)
            {
                problems.Add(new(secret.DisplayName, ex.Reason));
                continue;
            }

            if (value.IsMissing)
            {
                if (secret.Required) problems.Add(new(secret.DisplayName, "missing"));
            }
            else if (IsPlaceholder(value.Value))
            {
                problems.Add(new(secret.DisplayName, Placeholder));
            }
            else if (secret == AppSecret.StateKey)
            {
                CheckStateKeys(problems, secret.DisplayName, value.Value!);
            }
        }

        CheckSyncStaleAfter(problems, ringCentral.Value.SyncStaleAfter);
        return problems;
    }

    /// <summary>
    /// Problems that switch an optional feature off without stopping the service (the routes keep answering; Health
    /// names them and answers 503, so monitoring sees them): a partial shared JWT credential, which Status then does not
    /// use. Adding the three secrets to a live vault one by one must not take every route down meanwhile.
    /// </summary>
    public async Task<IReadOnlyList<SettingProblem>> FindFeatureProblemsAsync(CancellationToken cancellationToken)
    {
        var problems = new List<SettingProblem>();
        await CheckSharedJwtAsync(problems, secrets, cancellationToken);
        return problems;
    }

    public const string PartialSharedJwt =
        "missing: the shared JWT credential needs RingCentral:SharedJwt, SharedJwtClientId and SharedJwtClientSecret together (or none); Status does not use it until then";

    private static void CheckSyncStaleAfter(List<SettingProblem> problems, string? value)
    {
        if (IsPlaceholder(value)) problems.Add(new(SyncStaleness.SettingName, Placeholder));
        else if (SyncStaleness.Parse(value) is null) problems.Add(new(SyncStaleness.SettingName, SyncStaleness.Malformed));
    }

    /// <summary>The shared JWT credential is all three settings or none: a partial one is named, not silently ignored.</summary>
    private static async Task CheckSharedJwtAsync(List<SettingProblem> problems, ISecretSource secrets, CancellationToken cancellationToken)
    {
        var missing = new List<AppSecret>();
        foreach (var secret in AppSecret.SharedJwtCredential)
        {
            try
            {
                if ((await secrets.GetAsync(secret, cancellationToken)).IsMissing) missing.Add(secret);
            }
            catch (SecretUnavailableException)
            {
                return; // named by FindProblemsAsync
            }
        }

        if (missing.Count is > 0 and < 3)
            foreach (var secret in missing)
                problems.Add(new(secret.DisplayName, PartialSharedJwt));
    }

    /// <summary>A value copied from <c>local.settings.sample.json</c> or <c>infra/main.bicepparam</c> without filling it in.</summary>
    public static bool IsPlaceholder(string? value) => value is not null && PlaceholderPattern().IsMatch(value);

    [GeneratedRegex("<[^<>]*>")]
    private static partial Regex PlaceholderPattern();

    private static void CheckText(List<SettingProblem> problems, string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) problems.Add(new(name, "missing"));
        else if (IsPlaceholder(value)) problems.Add(new(name, Placeholder));
    }

    /// <returns>The URL when it is well formed (even if another problem was added), else null.</returns>
    private static Uri? CheckUrl(List<SettingProblem> problems, string name, string? value, bool httpsOnly)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(new(name, "missing"));
            return null;
        }

        if (IsPlaceholder(value))
        {
            problems.Add(new(name, Placeholder));
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            problems.Add(new(name, "malformed (absolute http(s) URL without query)"));
            return null;
        }

        if (httpsOnly && uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)
            problems.Add(new(name, NotHttps));
        return uri;
    }

    /// <summary>Each bad entry is named by its position (never its value), so two bad entries are two problems.</summary>
    private static void CheckOrigins(List<SettingProblem> problems, string[] origins)
    {
        for (var i = 0; i < origins.Length; i++)
        {
            var origin = origins[i];
            var which = $"entry {i + 1} of {origins.Length}";
            if (IsPlaceholder(origin))
                problems.Add(new("Cors:AllowedOrigins", $"{which} is {Placeholder}"));
            else if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/')
                     || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                problems.Add(new("Cors:AllowedOrigins", $"{which} is malformed (scheme://host[:port], comma-separated)"));
        }
    }

    /// <summary>A rotation list: each key is checked alone and a bad one is named by its position.</summary>
    private static void CheckStateKeys(List<SettingProblem> problems, string name, string setting)
    {
        var keys = setting.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (keys.Length == 0)
        {
            problems.Add(new(name, "malformed (base64 of 32 bytes, comma-separated for rotation)"));
            return;
        }

        var malformed = false;
        for (var i = 0; i < keys.Length; i++)
        {
            if (StateKeyRing.TryParse(keys[i], out _)) continue;
            malformed = true;
            problems.Add(new(name, keys.Length == 1
                ? "malformed (base64 of 32 bytes, comma-separated for rotation)"
                : $"malformed: key {i + 1} of {keys.Length} is not base64 of 32 bytes"));
        }

        if (!malformed && StateKeyRing.TryParse(setting, out var ring))
            problems.AddRange(ring.Weaknesses().Select(weakness => new SettingProblem(name, weakness)));
    }
}

public sealed record SettingProblem(string Name, string Problem);
