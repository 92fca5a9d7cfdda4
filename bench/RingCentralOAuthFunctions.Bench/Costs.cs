using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RingCentralOAuthFunctions.Endpoints;
using RingCentralOAuthFunctions.Fakes;
using RingCentralOAuthFunctions.OAuth;
using RingCentralOAuthFunctions.Protocol;
using RingCentralOAuthFunctions.State;
using RingCentralOAuthFunctions.Supabase;

namespace RingCentralOAuthFunctions.Bench;

/// <summary>
/// `--costs`: where the CPU of auth-url goes, in-process and without HTTP: the two handlers and the pieces of auth-url,
/// built from the app's own service registration (no log providers, so logging costs nothing here). Each operation is
/// timed in several interleaved rounds; the fastest round (least disturbed by other processes) and the median are reported. A micro-measurement to explain the end-to-end
/// figures, not a figure of its own.
/// </summary>
internal static class Costs
{
    public static async Task<int> RunAsync()
    {
        await using var supabase = await FakeSupabase.StartNewAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RingCentral:ServerUrl"] = "http://127.0.0.1:9", ["RingCentral:ClientId"] = FakeRingCentral.ClientId,
            ["RingCentral:ClientSecret"] = FakeRingCentral.ClientSecret, ["Supabase:Url"] = supabase.Url,
            ["Supabase:ServiceRoleKey"] = supabase.ServiceKey, ["OAuth:CallbackUrl"] = "http://127.0.0.1:9/api/ringcentral/callback",
            ["OAuth:AppRedirectUrl"] = "https://erp.example.test/integrations/callback",
            ["OAuth:StateKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ["Cors:AllowedOrigins"] = "https://erp.example.test",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddRingCentralOAuth(configuration);
        await using var provider = services.BuildServiceProvider();

        var validator = provider.GetRequiredService<IUserTokenValidator>();
        var protector = provider.GetRequiredService<StateProtector>();
        var keyRing = await provider.GetRequiredService<StateKeySource>().GetAsync(default);
        var health = provider.GetRequiredService<HealthEndpoint>();
        var authUrl = provider.GetRequiredService<AuthUrlEndpoint>();
        var signingKeys = await provider.GetRequiredService<SupabaseJwks>().GetKeysAsync(null, default);
        var tokens = Enumerable.Range(0, 256).Select(_ => supabase.MintAccessToken(Guid.NewGuid(), "user@example.test")).ToArray();
        var handler = new JsonWebTokenHandler { MapInboundClaims = false };
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = supabase.Issuer, ValidAudience = "authenticated", IssuerSigningKeys = signingKeys,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256], RequireSignedTokens = true,
            RequireExpirationTime = true, ValidateLifetime = true, ValidateIssuerSigningKey = true, TryAllIssuerSigningKeys = true,
        };
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var data = RandomNumberGenerator.GetBytes(600);
        var signature = ecdsa.SignData(data, HashAlgorithmName.SHA256);
        var verifier = Pkce.CreateVerifier();

        HttpRequest Request(string? bearer)
        {
            var context = new DefaultHttpContext { RequestServices = provider };
            if (bearer is not null) context.Request.Headers.Authorization = "Bearer " + bearer;
            return context.Request;
        }

        var operations = new (string Name, Func<int, ValueTask> Run)[]
        {
            ("HealthEndpoint.HandleAsync", async i => await health.HandleAsync(Request(null), default)),
            ("AuthUrlEndpoint.HandleAsync", async i => await authUrl.HandleAsync(Request(tokens[i & 255]), default)),
            ("  SupabaseUserTokenValidator.ValidateAsync", async i =>
            {
                if ((await validator.ValidateAsync(tokens[i & 255], default)).Result != TokenCheck.Valid) throw new InvalidOperationException("token refused");
            }),
            ("    JsonWebTokenHandler.ValidateTokenAsync alone", async i =>
            {
                if (!(await handler.ValidateTokenAsync(tokens[i & 255], parameters)).IsValid) throw new InvalidOperationException("token refused");
            }),
            ("      ECDsa P-256 VerifyData alone (OpenSSL)", i =>
            {
                if (!ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256)) throw new InvalidOperationException("bad signature");
                return ValueTask.CompletedTask;
            }),
            ("  StateProtector.Seal (AES-256-GCM)", i =>
            {
                protector.Seal(Guid.NewGuid(), verifier, keyRing);
                return ValueTask.CompletedTask;
            }),
            ("  Pkce.CreateVerifier + ChallengeFor", i =>
            {
                Pkce.ChallengeFor(Pkce.CreateVerifier());
                return ValueTask.CompletedTask;
            }),
        };

        const int rounds = 9, iterations = 1000;
        var results = operations.Select(_ => new List<double>()).ToArray();
        foreach (var (_, run) in operations)
            for (var i = 0; i < 1000; i++) await run(i); // warm-up, JIT tiering
        for (var round = 0; round < rounds; round++)
        {
            for (var op = 0; op < operations.Length; op++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < iterations; i++) await operations[op].Run(i);
                results[op].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / iterations);
            }
        }

        Console.WriteLine($"In-process cost per call ({rounds} interleaved rounds x {iterations} calls; wall time, one thread; {Environment.ProcessorCount} cores, load average {MachineCpu.LoadAverage()}):");
        Console.WriteLine();
        Console.WriteLine("| Operation | µs per call, fastest round | median round | slowest round |");
        Console.WriteLine("|---|---|---|---|");
        for (var op = 0; op < operations.Length; op++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {operations[op].Name.Replace("  ", "&nbsp;&nbsp;", StringComparison.Ordinal)} | {results[op].Min():F1} | {Stats.Median(results[op]):F1} | {results[op].Max():F1} |"));
        }

        return 0;
    }
}
