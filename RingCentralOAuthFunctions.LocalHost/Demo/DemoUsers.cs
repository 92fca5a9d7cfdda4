namespace RingCentralOAuthFunctions.LocalHost.Demo;

/// <summary>An ERP user of the demo; <see cref="Email"/> is also the RingCentral account offered on the stand-in's sign-in page.</summary>
public sealed record DemoUser(string Key, string Name, Guid Id, string Email);

/// <summary>The demo's two ERP users: one plays the colleague who sends a link, the other the one who opens it.</summary>
public static class DemoUsers
{
    public static readonly DemoUser Hank = new("hank", "Hank", Guid.Parse("4a1f7c2e-0000-4000-8000-00000000a001"), "hank@rebar.demo");
    public static readonly DemoUser Ivy = new("ivy", "Ivy", Guid.Parse("4a1f7c2e-0000-4000-8000-00000000a002"), "ivy@rebar.demo");

    public static IReadOnlyList<DemoUser> All { get; } = [Hank, Ivy];

    public static DemoUser? Find(string? key) => All.FirstOrDefault(u => u.Key == key);
}
