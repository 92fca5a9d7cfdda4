using System.Runtime.CompilerServices;
using RingCentralOAuthFunctions.Configuration;
using RingCentralOAuthFunctions.Health;

namespace RingCentralOAuthFunctions.Tests.Framework;

/// <summary>
/// Before any test runs: Health's background dependency checks may call loopback hosts only (the fakes), whatever
/// settings a test uses. A check of any other host is reported as not checked (see DependencyCheckTests).
/// </summary>
internal static class LoopbackOnlyDependencyChecks
{
#pragma warning disable CA2255 // a module initializer is the one place that runs before every test in this assembly
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void TurnOn() => AppContext.SetSwitch(DependencyChecks.LoopbackOnlySwitch, true);
}
