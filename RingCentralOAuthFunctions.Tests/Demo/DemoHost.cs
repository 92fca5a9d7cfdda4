using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RingCentralOAuthFunctions.LocalHost.Demo;
using RingCentralOAuthFunctions.Tests.Framework;

namespace RingCentralOAuthFunctions.Tests.Demo;

/// <summary>Starts demo mode in-process, as <c>--demo</c> does, on a free loopback port, with its logging quiet.</summary>
internal static class DemoHost
{
    public static Task<DemoApp> StartAsync() =>
        DemoApp.StartAsync(["--urls", $"http://127.0.0.1:{FreePort()}"], builder =>
            {
                builder.Logging.ClearProviders();
                builder.Services.AddLoopbackOnlyHttp();
            },
            // A developer's own local.settings.json must not decide whether these tests run.
            checkLocalSettingsFile: false);

    public static int FreePort() => FunctionsTestHost.FunctionsTestHost.FreePort();
}
