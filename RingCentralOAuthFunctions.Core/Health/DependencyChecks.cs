using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Monitoring;
using RingCentralOAuthFunctions.RingCentral;
using RingCentralOAuthFunctions.Secrets;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Health;

public enum DependencyState { Ok, Failing, NotChecked }

/// <summary>One dependency's last check: when failing, the setting to look at and what is wrong (never a value).</summary>
public sealed record DependencyResult(string Name, DependencyState State, string? Setting = null, string? Problem = null);

/// <summary>One round of checks. Immutable; the newest replaces the previous whole.</summary>
public sealed record DependencyReport(DateTimeOffset At, IReadOnlyList<DependencyResult> Results);

/// <summary>
/// Whether the upstreams work with these settings, checked in the background every <see cref="Interval"/> and
/// cached, so Health reports them without calling anyone itself:
/// <list type="bullet">
/// <item><b>Supabase JWKS</b>: fetchable, and holds an ES256/RS256 key, or else <c>Supabase:JwtSecret</c> is set
/// (a project that signs with HS256 and has no secret here means every user gets 401);</item>
/// <item><b>Supabase PostgREST</b>: accepts the service key (a one-column, one-row read of the tokens table), and the
/// project has this service's migration (<c>rpc/ringcentral_oauth_schema</c> names it; a 404 <c>PGRST202</c>/<c>PGRST205</c>
/// means it was never applied, and the failure names the migration's file);</item>
/// <item><b>RingCentral</b>: the server answers (any status below 500).</item>
/// </list>
/// A check whose settings already have a problem is not run. The schedule starts with the host (this is a hosted
/// service that <c>AddRingCentralOAuth</c> registers), its first round <see cref="FirstRoundDelay"/> later, off the
/// start-up path; until that round has run, Health reports the dependencies as pending and answers on the settings
/// alone, and a probe that comes while it runs waits for it. With <see cref="DependencyCheckOptions.CheckDependenciesAtStart"/>
/// off, the schedule starts with the first Health request instead, which waits for the first round, at most
/// <see cref="FirstRoundWait"/>.
/// A dependency that starts failing is logged once, and once when it passes again.
/// </summary>
public sealed class DependencyChecks(
    SettingsCheck settings,
    IHttpClientFactory httpClients,
    IOptions<SupabaseOptions> supabase,
    IOptions<RingCentralOptions> ringCentral,
    ISecretSource secrets,
    TimeProvider time,
    IOptions<DependencyCheckOptions> options,
    ILogger<DependencyChecks> logger) : BackgroundService
{
    public const string HttpClientName = "Health.DependencyChecks";
    public const string SupabaseJwksCheck = "Supabase JWKS", PostgrestCheck = "Supabase PostgREST", RingCentralCheck = "RingCentral";

    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan FirstRoundWait = CallTimeout + TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long after the host starts the first round runs (with <see cref="DependencyCheckOptions.CheckDependenciesAtStart"/>):
    /// after the start and the first requests, not beside them. The round's first HTTP calls cost about 0.1 s of CPU
    /// (the HTTP client's first use), which at start slowed the host's first answer by about a fifth here and, on a
    /// fraction of a core (Flex Consumption), would be added to the cold start's first request (docs/benchmarks.md).
    /// </summary>
    public static readonly TimeSpan FirstRoundDelay = TimeSpan.FromSeconds(5);

    private readonly TaskCompletionSource _start = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<DependencyReport> _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DependencyReport? _latest;
    private long _firstRoundDeadlineTicks;

    /// <summary>
    /// Starts the schedule (idempotent): from now the first round runs, and a probe waits for it, at most
    /// <see cref="FirstRoundWait"/>.
    /// </summary>
    private void Start()
    {
        Interlocked.CompareExchange(ref _firstRoundDeadlineTicks, (time.GetUtcNow() + FirstRoundWait).UtcTicks, 0);
        _start.TrySetResult();
    }

    /// <summary>
    /// The latest round, or null while the first has not run. A caller waits only for a first round that has started,
    /// and at most until <see cref="FirstRoundWait"/> after it started (so a host that never runs the schedule does
    /// not make every probe wait). With <see cref="DependencyCheckOptions.CheckDependenciesAtStart"/> off, the first
    /// call starts the schedule (and so waits for the first round).
    /// </summary>
    public async Task<DependencyReport?> GetLatestAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CheckDependenciesAtStart) Start();
        if (Volatile.Read(ref _latest) is { } latest) return latest;
        var deadline = Interlocked.Read(ref _firstRoundDeadlineTicks);
        if (deadline == 0) return null;
        var remaining = new DateTimeOffset(deadline, TimeSpan.Zero) - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero) return null;
        try
        {
            return await _firstRound.Task.WaitAsync(remaining, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (options.Value.CheckDependenciesAtStart)
            {
                await Task.Delay(FirstRoundDelay, time, stoppingToken);
                Start();
            }

            await _start.Task.WaitAsync(stoppingToken);
            using var timer = new PeriodicTimer(Interval, time);
            do
            {
                try
                {
                    Publish(await RunOnceAsync(stoppingToken));
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    Log.BackgroundTaskFailed(logger, nameof(DependencyChecks), ex.GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round of every check, in parallel. Never throws for an upstream's failure.</summary>
    public async Task<DependencyReport> RunOnceAsync(CancellationToken cancellationToken)
    {
        var problems = (await settings.FindProblemsAsync(cancellationToken)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var results = await Task.WhenAll(
            CheckJwksAsync(problems, cancellationToken),
            CheckPostgrestAsync(problems, cancellationToken),
            CheckRingCentralAsync(problems, cancellationToken));
        return new DependencyReport(time.GetUtcNow(), results);
    }

    private void Publish(DependencyReport report)
    {
        var previous = Volatile.Read(ref _latest);
        foreach (var result in report.Results)
        {
            var before = previous?.Results.FirstOrDefault(r => r.Name == result.Name)?.State;
            if (result.State == DependencyState.Failing && before != DependencyState.Failing)
                Log.DependencyFailing(logger, result.Name, result.Setting!, result.Problem!);
            else if (result.State == DependencyState.Ok && before == DependencyState.Failing)
                Log.DependencyRecovered(logger, result.Name);
        }

        Volatile.Write(ref _latest, report);
        _firstRound.TrySetResult(report);
    }

    private async Task<DependencyResult> CheckJwksAsync(HashSet<string> problems, CancellationToken cancellationToken)
    {
        const string setting = "Supabase:Url";
        if (problems.Contains(setting)) return new(SupabaseJwksCheck, DependencyState.NotChecked);
        var url = new Uri(supabase.Value.Url!.TrimEnd('/') + SupabaseJwks.Path);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).GetAsync(url, cancellationToken);
            if (!response.IsSuccessStatusCode)
                return Failing(SupabaseJwksCheck, setting, $"its JWKS answered HTTP {(int)response.StatusCode}: user tokens cannot be checked");
            int? usable;
            using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
                usable = await CountSigningKeysAsync(body, cancellationToken);
            if (usable is null)
                return Failing(SupabaseJwksCheck, setting, "its JWKS is not a JSON Web Key Set: user tokens cannot be checked");

            if (usable > 0) return new(SupabaseJwksCheck, DependencyState.Ok);
            if (!await IsSetAsync(AppSecret.SupabaseJwtSecret, cancellationToken))
                return Failing(SupabaseJwksCheck, AppSecret.SupabaseJwtSecret.DisplayName,
                    "is missing and the project's JWKS holds no ES256/RS256 key, so the project signs user tokens with HS256: every user gets 401");
            return new(SupabaseJwksCheck, DependencyState.Ok);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return Failing(SupabaseJwksCheck, setting, $"its JWKS could not be fetched ({UpstreamFailure.Describe(ex)})");
        }
    }

    private async Task<DependencyResult> CheckPostgrestAsync(HashSet<string> problems, CancellationToken cancellationToken)
    {
        var keySetting = AppSecret.SupabaseServiceRoleKey.DisplayName;
        if (problems.Contains("Supabase:Url") || problems.Contains(keySetting)) return new(PostgrestCheck, DependencyState.NotChecked);
        var url = new Uri($"{supabase.Value.Url!.TrimEnd('/')}/rest/v1/{PostgrestTokenStore.TokensTable}?select=user_id&limit=1");
        try
        {
            var key = (await secrets.GetAsync(AppSecret.SupabaseServiceRoleKey, cancellationToken)).Require(AppSecret.SupabaseServiceRoleKey);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("apikey", key);
            if (PostgrestClient.IsJwt(key)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            return status switch
            {
                >= 200 and < 300 => await CheckMigrationAsync(key, cancellationToken),
                401 or 403 => Failing(PostgrestCheck, keySetting, $"is refused by PostgREST (HTTP {status})"),
                404 => Failing(PostgrestCheck, "Supabase:Url", $"has no {PostgrestTokenStore.TokensTable} table in PostgREST (HTTP 404)"),
                _ => Failing(PostgrestCheck, "Supabase:Url", $"PostgREST answered HTTP {status}"),
            };
        }
        catch (SecretUnavailableException)
        {
            return new(PostgrestCheck, DependencyState.NotChecked);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return Failing(PostgrestCheck, "Supabase:Url", $"PostgREST did not answer ({UpstreamFailure.Describe(ex)})");
        }
    }

    /// <summary>The file a deployment must apply (supabase/migrations), as Health names it.</summary>
    public static string MigrationFile => $"supabase/migrations/{PostgrestTokenStore.Migration}.sql";

    private async Task<DependencyResult> CheckMigrationAsync(string key, CancellationToken cancellationToken)
    {
        var url = new Uri($"{supabase.Value.Url!.TrimEnd('/')}/rest/v1/rpc/{PostgrestTokenStore.SchemaFunction}");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("apikey", key);
        if (PostgrestClient.IsJwt(key)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string? Field(string name)
        {
            try
            {
                return System.Text.Json.Nodes.JsonNode.Parse(body)?[name] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }

        var status = (int)response.StatusCode;
        if (status == 404 && Field("code") is "PGRST202" or "PGRST205")
            return Failing(PostgrestCheck, "Supabase:Url", $"has not got this service's database migration: apply {MigrationFile} (PostgREST: {Field("code")}); Complete and Disconnect fail until it is");
        if (status is < 200 or >= 300)
            return Failing(PostgrestCheck, "Supabase:Url", $"PostgREST answered HTTP {status} to {PostgrestTokenStore.SchemaFunction}");
        // Migrations are named by timestamp: a later one contains this one.
        return string.CompareOrdinal(Field("migration"), PostgrestTokenStore.Migration) >= 0
            ? new(PostgrestCheck, DependencyState.Ok)
            : Failing(PostgrestCheck, "Supabase:Url", $"has an older database migration than this service needs: apply {MigrationFile}");
    }

    private async Task<DependencyResult> CheckRingCentralAsync(HashSet<string> problems, CancellationToken cancellationToken)
    {
        const string setting = "RingCentral:ServerUrl";
        if (problems.Contains(setting)) return new(RingCentralCheck, DependencyState.NotChecked);
        var url = RingCentralEndpoints.Resolve(ringCentral.Value.ServerUrl, "/restapi/v1.0");
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).GetAsync(url, cancellationToken);
            return (int)response.StatusCode >= 500
                ? Failing(RingCentralCheck, setting, $"answers HTTP {(int)response.StatusCode}")
                : new(RingCentralCheck, DependencyState.Ok);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return Failing(RingCentralCheck, setting, $"does not answer ({UpstreamFailure.Describe(ex)})");
        }
    }

    /// <summary>
    /// The keys of a JWKS document that can check an ES256/RS256 signature (<c>kty</c> EC or RSA, <c>use</c> absent or
    /// <c>sig</c>); null when the document is not a JSON Web Key Set. Read with System.Text.Json rather than
    /// Microsoft.IdentityModel's JsonWebKeySet, so that the first round (which the first Health probe waits for) does
    /// not load and compile that library during start-up; the token validator still reads the keys with it.
    /// </summary>
    internal static async Task<int?> CountSigningKeysAsync(Stream json, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(json, cancellationToken: cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
                return null;
            var usable = 0;
            foreach (var key in keys.EnumerateArray())
            {
                if (key.ValueKind != JsonValueKind.Object) continue;
                var kty = key.TryGetProperty("kty", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
                var use = key.TryGetProperty("use", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                if (kty is "EC" or "RSA" && use is null or "sig") usable++;
            }

            return usable;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<bool> IsSetAsync(AppSecret secret, CancellationToken cancellationToken)
    {
        try
        {
            return !(await secrets.GetAsync(secret, cancellationToken)).IsMissing;
        }
        catch (SecretUnavailableException)
        {
            return false;
        }
    }

    private static DependencyResult Failing(string name, string setting, string problem) => new(name, DependencyState.Failing, setting, problem);
}
