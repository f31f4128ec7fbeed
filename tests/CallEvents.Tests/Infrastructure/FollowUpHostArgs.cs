namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// Host arguments for follow-up tests: second-scale republishing and callback rules aimed at a receiver. Stall deadlines
/// keep their defaults: the watchdog tests drive them with a fake clock (<see cref="FollowUps.WatchdogFixture"/>), and
/// short real-time deadlines would flag other tests' calls that are merely slow to finish.
/// </summary>
public static class FollowUpHostArgs
{
    /// <summary>The key every callback of these hosts is signed with.</summary>
    public static readonly byte[] CallbackSigningKey = Convert.FromHexString("a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90");

    public static List<string> For(CallbackReceiver receiver, TimeSpan? scheduledDelay = null, TimeSpan? republishAfter = null) =>
    [
        $"--Lifecycle:RepublishAfter={republishAfter ?? TimeSpan.FromSeconds(1)}",
        "--Lifecycle:SweepPeriod=00:00:00.200",
        "--FollowUps:FirstRetryDelay=00:00:00.100",
        $"--FollowUps:Callbacks:DefaultUrl={receiver.Url}/pca",
        $"--FollowUps:Callbacks:SigningSecret=whsec_{Convert.ToBase64String(CallbackSigningKey)}",
        "--FollowUps:Callbacks:Rules:0:Name=escalate-negative",
        "--FollowUps:Callbacks:Rules:0:Sentiment=negative",
        $"--FollowUps:Callbacks:Rules:0:Url={receiver.Url}/negative",
        "--FollowUps:Callbacks:Rules:1:Name=slow-agent",
        "--FollowUps:Callbacks:Rules:1:AgentId=agent-slow",
        "--FollowUps:Callbacks:Rules:1:Delay=00:05:00",
        "--FollowUps:Callbacks:Rules:2:Name=scheduled",
        "--FollowUps:Callbacks:Rules:2:AgentId=agent-scheduled",
        $"--FollowUps:Callbacks:Rules:2:Delay={scheduledDelay ?? TimeSpan.FromSeconds(4)}",
        "--FollowUps:Callbacks:Rules:3:Name=every-pca",
        "--FollowUps:Callbacks:Rules:4:Name=stalled",
        "--FollowUps:Callbacks:Rules:4:On=Stalled",
        $"--FollowUps:Callbacks:Rules:4:Url={receiver.Url}/stalled",
        "--FollowUps:Callbacks:Rules:5:Name=workflow-done",
        "--FollowUps:Callbacks:Rules:5:On=WorkflowCompleted",
        $"--FollowUps:Callbacks:Rules:5:Url={receiver.Url}/workflow",
    ];
}
