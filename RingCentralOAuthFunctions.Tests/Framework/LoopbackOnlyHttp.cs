using Microsoft.Extensions.DependencyInjection;

namespace RingCentralOAuthFunctions.Tests.Framework;

/// <summary>
/// The tests' guard against calling anything real: every HttpClient the app's factory makes in a test host refuses a
/// host that is not loopback (the fakes are), before any socket is opened. Whatever settings a test uses, neither a
/// request nor Health's background dependency checks can reach RingCentral, Supabase or Azure's instance-metadata
/// address; such a call fails as an unreachable upstream does. The Functions worker runs in its own process:
/// <c>FunctionsHost/LoopbackOnlyTests</c> watches its sockets instead.
/// </summary>
public static class LoopbackOnlyHttp
{
    /// <summary>Adds the guard to every HttpClient of the factory (as the outermost handler, so no retry runs after it).</summary>
    public static IServiceCollection AddLoopbackOnlyHttp(this IServiceCollection services) =>
        services.ConfigureHttpClientDefaults(client => client.AddHttpMessageHandler(() => new Guard()));

    /// <summary>What the refusal says; never a request's content.</summary>
    public const string Refusal = "Tests call loopback hosts only";

    private sealed class Guard : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri is { IsAbsoluteUri: true, IsLoopback: true }
                ? base.SendAsync(request, cancellationToken)
                : Task.FromException<HttpResponseMessage>(new HttpRequestException($"{Refusal}: {request.RequestUri?.Host} refused."));
    }
}
