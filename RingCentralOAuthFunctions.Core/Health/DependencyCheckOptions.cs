namespace RingCentralOAuthFunctions.Health;

/// <summary>Settings of <see cref="DependencyChecks"/> (section <c>Health</c>).</summary>
public sealed class DependencyCheckOptions
{
    public const string Section = "Health";

    /// <summary>
    /// <c>Health:CheckDependenciesAtStart</c>: true (the default) starts the checks with the host, their first round
    /// <see cref="DependencyChecks.FirstRoundDelay"/> after it (so the log says what does not work without any probe);
    /// false leaves them until the first Health request, which waits for that round (a host that must not call its
    /// upstreams before it is asked, such as one built per test).
    /// </summary>
    public bool CheckDependenciesAtStart { get; set; } = true;
}
