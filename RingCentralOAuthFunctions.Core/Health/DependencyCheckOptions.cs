namespace RingCentralOAuthFunctions.Health;

/// <summary>Settings of <see cref="DependencyChecks"/> (section <c>Health</c>).</summary>
public sealed class DependencyCheckOptions
{
    public const string Section = "Health";

    /// <summary>
    /// <c>Health:CheckDependenciesAtStart</c>: true (the default) starts the checks with the host, so the first probe
    /// already has a result and the first log lines say what does not work; false leaves them until the first Health
    /// request (a host that must not call its upstreams before it is asked, such as one built per test).
    /// </summary>
    public bool CheckDependenciesAtStart { get; set; } = true;
}
