using CallEvents.Hosting;
using CallEvents.Sweeping;
using CallEvents.TestSupport;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace CallEvents.Tests.Cluster;

/// <summary>
/// The sweepers drive republishing, deadlines and follow-up actions, so a cluster must not go without them when the
/// silos that hosted them leave.
/// </summary>
public sealed class SweeperFailoverTests
{
    /// <summary>
    /// Three silos; every silo that hosts a sweeper is stopped (one silo remains). The sweepers are activated again on
    /// the remaining silo by its keep-alive calls. The waits are deadlines for an eventual condition, not a measurement:
    /// the whole test ends before the sweepers' reminders first tick (a minute after registration), so a reminder cannot
    /// be what brought them back.
    /// </summary>
    [Fact]
    public async Task Sweepers_lost_with_their_silos_are_activated_again_on_a_remaining_silo_by_its_keep_alive()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) => silo.AddCallEventSilo(postgresConnectionString: null));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var sweepers = new LifecycleOptions().Sweepers;
            var management = cluster.Client.GetGrain<IManagementGrain>(0);
            IReadOnlyList<DetailedGrainStatistic> hosted = [];
            await Wait.UntilAsync(
                async () => (hosted = await SweepersAsync(management)).Count == sweepers,
                TimeSpan.FromSeconds(30),
                "every silo's keep-alive to activate the sweepers");

            var lost = hosted.Select(s => s.SiloAddress).ToHashSet();
            var leaving = cluster.Silos.Where(s => lost.Contains(s.SiloAddress)).ToList();
            Assert.InRange(leaving.Count, 1, 2);
            foreach (var silo in leaving)
            {
                await cluster.StopSiloAsync(silo);
            }

            // No reminder has ticked yet (their first tick is a minute after registration), so only the keep-alive
            // can bring them back this soon.
            await Wait.UntilAsync(
                async () =>
                {
                    var now = await SweepersAsync(management);
                    return now.Count == sweepers && now.All(s => !lost.Contains(s.SiloAddress));
                },
                TimeSpan.FromSeconds(30),
                "the sweepers to be active again on a remaining silo");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyList<DetailedGrainStatistic>> SweepersAsync(IManagementGrain management) =>
        [.. (await management.GetDetailedGrainStatistics()).Where(s => s.GrainType.Contains(typeof(DueSweeperGrain).FullName!, StringComparison.Ordinal))];
}
