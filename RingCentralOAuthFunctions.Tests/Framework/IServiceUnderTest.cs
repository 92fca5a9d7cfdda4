using RingCentralOAuthFunctions.Fakes;

namespace RingCentralOAuthFunctions.Tests.Framework;

/// <summary>
/// A running service the end-to-end tests talk to over loopback HTTP, whichever host serves it: the local host
/// (<see cref="ServiceHost"/>) or the built Functions app under the Functions test host
/// (<see cref="FunctionsHost.FunctionsAppHost"/>). Both are wired to their own fake RingCentral and Supabase.
/// The flow steps (auth-url, authorize, callback) are extension methods in <see cref="ServiceFlows"/>.
/// </summary>
public interface IServiceUnderTest : IAsyncDisposable
{
    /// <summary>"local host" or "Functions app", for test names and failure messages.</summary>
    string HostName { get; }

    /// <summary>The public address, e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    string BaseUrl { get; }

    /// <summary>A client on <see cref="BaseUrl"/> that does not follow redirects.</summary>
    HttpClient Client { get; }

    FakeRingCentral RingCentral { get; }
    FakeSupabase Supabase { get; }

    /// <summary>The <c>OAuth:StateKey</c> the service was started with (base64 of 32 random bytes).</summary>
    string StateKey { get; }

    /// <summary>The ERP page the Callback redirects to (<c>OAuth:AppRedirectUrl</c>).</summary>
    string AppRedirectUrl { get; }

    /// <summary>Every log line the service wrote so far, as text (message, properties, exceptions).</summary>
    IReadOnlyList<string> LogLines();
}
