using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Running;
using CallEvents.LoadTest.Targets;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;
using CallEvents.TestSupport;
using Xunit.Abstractions;

// Cluster runs share two cores; one at a time keeps each run's timing (the kill lands mid-run) predictable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace CallEvents.LoadTest.Tests;

/// <summary>
/// A short load-test run through the grain API of a 2-silo in-process cluster on memory storage: the
/// correctness verdict must pass. It checks correctness under duplicates, shuffling and delays, never speed.
/// </summary>
public sealed class InMemoryRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_in_memory_run_with_duplicates_shuffling_and_delays_passes_the_verdict()
    {
        await using var cluster = await GrainCluster.StartAsync(2, postgresConnectionString: null);
        var workload = new WorkloadOptions { Calls = 150, Workflows = 20, DuplicateRate = 0.3, ShuffleShare = 1.0, MaxDelayMs = 3, Window = 60, Seed = 7 };
        var generator = new WorkloadGenerator(workload);
        var target = new GrainTarget(() => cluster.Factories, TimeSpan.FromSeconds(10));
        var stats = new RunStats();
        var runner = new LoadRunner(generator, target, stats, new LoadShape { Concurrency = 16, Progress = false }, TextWriter.Null);

        await runner.RunAsync(faults: null, CancellationToken.None);
        var verdict = await Verifier.VerifyAsync(generator.Entities, target.ReadAsync, 16, CancellationToken.None);

        output.WriteLine($"{stats.Acknowledged} deliveries acknowledged ({stats.DuplicatesAcknowledged} duplicates); verdict {verdict.PassedEntities}/{verdict.Checked}");
        Assert.Equal(170, generator.Entities.Count);
        Assert.Equal(0, stats.FinalErrors);
        Assert.True(stats.DuplicatesAcknowledged > 20, $"the run must redeliver: {stats.DuplicatesAcknowledged} duplicates acknowledged");
        Assert.True(verdict.Passed, Describe(verdict));
        Assert.Equal(170, verdict.Checked);
        Assert.Equal(generator.Entities.Sum(e => e.Events.Count), verdict.DistinctAcknowledged);

        // Every call that reached PcaReady and every completed workflow was emitted and decided exactly once.
        Assert.True(verdict.EmissionsChecked, $"{verdict.DecisionsChecked} checked, {verdict.DecisionsNotObservable} not observable");
        Assert.Equal(170, verdict.DecisionsChecked);

        // The same pipeline must notice a single wrong snapshot among them, and a single wrong decision count.
        var victim = generator.Entities[^1];
        var decisionVictim = generator.Entities[0];
        var streamNamespace = decisionVictim.IsWorkflow ? StreamNamespaces.WorkflowCompleted : StreamNamespaces.CallPcaReady;
        var tampered = await Verifier.VerifyAsync(
            generator.Entities,
            async (entity, ct) =>
            {
                var snapshot = await target.ReadAsync(entity, ct);
                if (entity == decisionVictim)
                {
                    var decisions = new Dictionary<string, int>(snapshot!.Decisions!);
                    decisions[streamNamespace] = decisions.GetValueOrDefault(streamNamespace) + 1;
                    return snapshot with { Decisions = decisions, DecidedEmissions = snapshot.DecidedEmissions + 1 };
                }

                return entity == victim ? snapshot! with { EventCount = snapshot.EventCount - 1 } : snapshot;
            },
            16,
            TimeSpan.FromSeconds(1),
            CancellationToken.None);
        Assert.False(tampered.Passed);
        Assert.Equal(2, tampered.Failed);
        Assert.Equal(new[] { decisionVictim.Key, victim.Key }.Order(StringComparer.Ordinal), tampered.Examples.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains(tampered.Examples.Single(e => e.Key == decisionVictim.Key).Differences, d => d.StartsWith($"decisions.{streamNamespace}: expected", StringComparison.Ordinal));
    }

    internal static string Describe(Verdict verdict) =>
        $"{verdict.Failed} of {verdict.Checked} entities wrong, {verdict.Unreadable} unreadable: "
        + string.Join(" | ", verdict.Examples.Take(5).Select(e => $"{e.Key}: {string.Join("; ", e.Differences)}"));
}

/// <summary>
/// A short run on PostgreSQL with a non-primary silo killed (and replaced) mid-run: every acknowledged event must
/// survive, and attempts cut off by the kill are retried like a provider would.
/// </summary>
[Collection(PostgresRuns.Name)]
public sealed class SiloKillRunTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task A_run_with_a_silo_killed_mid_run_on_postgresql_keeps_every_acknowledged_event()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("loadtest_kill");
        // A 5 s lifecycle tick (default 1 minute): an emission lost with the killed silo's memory stream queue is
        // republished at the next tick, and the verdict waits for its decision.
        await using var cluster = await GrainCluster.StartAsync(2, connectionString, settings: new Dictionary<string, string?> { ["Lifecycle:RepublishAfter"] = "00:00:05" });
        var workload = new WorkloadOptions { Calls = 200, Workflows = 20, DuplicateRate = 0.2, ShuffleShare = 1.0, Window = 80, Seed = 11 };
        var generator = new WorkloadGenerator(workload);
        var target = new GrainTarget(() => cluster.Factories, TimeSpan.FromSeconds(10));
        var stats = new RunStats();

        // Open loop at a fixed rate, so the kill lands mid-run whatever the machine's speed.
        var shape = new LoadShape { Rate = 400, Progress = false, KillSiloAt = 0.7, Retries = 8, RetryBase = TimeSpan.FromMilliseconds(200) };
        var runner = new LoadRunner(generator, target, stats, shape, TextWriter.Null);

        var outcome = await runner.RunAsync(cluster, CancellationToken.None);

        var verdict = await Verifier.VerifyAsync(generator.Entities, target.ReadAsync, 16, TimeSpan.FromSeconds(60), CancellationToken.None);

        output.WriteLine($"{stats.Acknowledged} acknowledged in {outcome.SendPhase.TotalSeconds:0.0} s; retries: {string.Join(", ", stats.RetriesByKind.Select(kv => $"{kv.Key} {kv.Value}"))}");
        output.WriteLine(string.Join(Environment.NewLine, outcome.FaultLog));
        output.WriteLine($"verdict {verdict.PassedEntities}/{verdict.Checked} in {verdict.Elapsed.TotalSeconds:0.0} s ({verdict.DecisionsChecked} entities' decisions counted)");
        Assert.Single(stats.Marks, m => m.What == "kill");
        // Counted, not timed: deliveries started after the kill, so it landed mid-run.
        Assert.True(stats.DeliveriesAtMark("kill") < stats.Deliveries, $"the silo must die while deliveries are still being sent ({stats.DeliveriesAtMark("kill")} of {stats.Deliveries} had started)");
        Assert.Single(outcome.FaultLog);
        Assert.Equal(2, cluster.SiloCount);
        Assert.Equal(0, stats.FinalErrors);
        Assert.True(verdict.Passed, Describe(verdict));
        Assert.Equal(generator.Entities.Count, verdict.Checked);
        Assert.True(verdict.EmissionsChecked);
    }

    private static string Describe(Verdict verdict) => InMemoryRunTests.Describe(verdict);
}

[CollectionDefinition(Name)]
public sealed class PostgresRuns : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres runs";
}
