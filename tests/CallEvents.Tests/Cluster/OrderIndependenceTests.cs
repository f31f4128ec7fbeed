using CallEvents.Tests.Domain;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using Xunit.Abstractions;
using static CallEvents.Tests.Infrastructure.AdapterHarness;

namespace CallEvents.Tests.Cluster;

/// <summary>
/// Order independence (docs/design.md, rule 2) through the grain API on a three-silo cluster: any permutation of one entity's events,
/// with duplicates, delivered through different silos, converges to one snapshot.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OrderIndependenceTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly DateTimeOffset At = new(2026, 2, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Every_permutation_of_the_verbex_set_with_duplicates_converges()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        string? expected = null;
        var permutation = 0;
        foreach (var order in Permutations.Of(["CallHandler.CallStarted", "CallHandler.CallEnded", "callAnalysis.pcaCompleted"]))
        {
            var callId = $"verbex-{run}-{permutation}";
            var bodies = order.Select(name => FixtureFiles.Verbex(name, callId, $"{callId}-{name}", TimeOf(name))).ToList();
            // Every run delivers each event once and the middle one twice more, so duplicate counts match too.
            List<byte[]> deliveries = [.. bodies, bodies[1], bodies[1]];
            foreach (var (body, i) in deliveries.Select((b, i) => (b, i)))
            {
                var e = Event(Verbex, body);
                var result = await fixture.Silo(permutation + i).GetGrain<ICallGrain>(GrainKeys.Call(e.Source, e.EntityId)).IngestAsync(e);
                Assert.Equal(i < 3 ? IngestStatus.Accepted : IngestStatus.Duplicate, result.Status);
            }

            var snapshot = await fixture.Client.GetGrain<ICallGrain>(GrainKeys.Call(EventSources.Verbex, callId)).GetSnapshotAsync();
            Assert.NotNull(snapshot);
            Assert.Equal(CallPhase.PcaReady, snapshot.Status);
            Assert.Empty(snapshot.MissingPhases);
            Assert.Equal(3, snapshot.EventCount);
            Assert.Equal(2, snapshot.DuplicateCount);
            var normalized = SnapshotComparer.Normalize(snapshot);
            expected ??= normalized;
            Assert.Equal(expected, normalized);
            permutation++;
        }

        Assert.Equal(6, permutation);
    }

    [Fact]
    public async Task Randomized_subverse_call_sequences_with_duplicates_converge()
    {
        var seed = TestSeed.Choose(output);
        var random = new Random(seed);
        var run = Guid.NewGuid().ToString("N")[..8];
        string? expected = null;
        for (var trial = 0; trial < 24; trial++)
        {
            var callId = $"sv-{run}-{trial}";
            List<byte[]> bodies =
            [
                FixtureFiles.SubVerseCall("call.in_queue", callId, At, withAnalysis: false),
                FixtureFiles.SubVerseCall("call.placed", callId, At.AddSeconds(5), withAnalysis: false),
                FixtureFiles.SubVerseCall("call.completed", callId, At.AddSeconds(190), sentiment: "negative"),
                FixtureFiles.SubVerseCall("call.errored", callId, At.AddSeconds(180), withAnalysis: false),
                FixtureFiles.SubVerseCall("call.hold_music", callId, At.AddSeconds(100), withAnalysis: false),
            ];
            var deliveries = WithDuplicates(bodies, random, duplicates: 4);
            var snapshot = await DeliverAsync<ICallGrain, CallSnapshot>(deliveries, trial, concurrently: trial % 2 == 0, g => g.GetSnapshotAsync());

            Assert.Equal(CallPhase.PcaReady, snapshot.Status);
            Assert.Equal(CallOutcome.Succeeded, snapshot.Outcome);
            Assert.Equal(5, snapshot.EventCount);
            Assert.Equal(4, snapshot.DuplicateCount);
            Assert.Equal(1, snapshot.UnrecognizedCount);
            Assert.Equal(AnomalyCodes.ConflictingTerminals, Assert.Single(snapshot.Anomalies).Code);
            var normalized = SnapshotComparer.Normalize(snapshot);
            expected ??= normalized;
            Assert.True(expected == normalized, $"trial {trial} (seed {seed}) diverged:\n{normalized}\nexpected:\n{expected}");
        }
    }

    [Fact]
    public async Task Randomized_workflow_sequences_with_duplicates_converge()
    {
        var seed = TestSeed.Choose(output);
        var random = new Random(seed);
        var run = Guid.NewGuid().ToString("N")[..8];
        string? expected = null;
        for (var trial = 0; trial < 24; trial++)
        {
            var executionId = $"wf-{run}-{trial}";
            List<byte[]> bodies =
            [
                FixtureFiles.SubVerseWorkflow("workflow.in_queue", executionId, At),
                FixtureFiles.SubVerseWorkflow("workflow.started", executionId, At.AddSeconds(1)),
                FixtureFiles.SubVerseWorkflow("workflow.node_execution", executionId, At.AddSeconds(2), "dial"),
                FixtureFiles.SubVerseWorkflow("workflow.node_execution", executionId, At.AddSeconds(3), "sms"),
                FixtureFiles.SubVerseWorkflow("workflow.node_execution", executionId, At.AddSeconds(4), "email"),
                FixtureFiles.SubVerseWorkflow("workflow.completed", executionId, At.AddSeconds(5)),
            ];
            var deliveries = WithDuplicates(bodies, random, duplicates: 3);
            var snapshot = await DeliverAsync<IWorkflowExecutionGrain, WorkflowSnapshot>(deliveries, trial, concurrently: trial % 2 == 1, g => g.GetSnapshotAsync());

            Assert.Equal(WorkflowPhase.Completed, snapshot.Status);
            Assert.Equal(3, snapshot.NodeExecutions);
            Assert.Equal("email", snapshot.LastNode);
            Assert.Equal(3, snapshot.DuplicateCount);
            var normalized = SnapshotComparer.Normalize(snapshot);
            expected ??= normalized;
            Assert.True(expected == normalized, $"trial {trial} (seed {seed}) diverged:\n{normalized}\nexpected:\n{expected}");
        }
    }

    private static decimal TimeOf(string eventName) => eventName switch
    {
        "CallHandler.CallStarted" => 1762670195.245655m,
        "CallHandler.CallEnded" => 1762670295.5m,
        _ => 1762670301.25m,
    };

    private static List<byte[]> WithDuplicates(List<byte[]> bodies, Random random, int duplicates)
    {
        List<byte[]> deliveries = [.. bodies];
        for (var i = 0; i < duplicates; i++)
        {
            deliveries.Add(bodies[random.Next(bodies.Count)]);
        }

        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(deliveries));
        return deliveries;
    }

    private async Task<TSnapshot> DeliverAsync<TGrain, TSnapshot>(List<byte[]> deliveries, int trial, bool concurrently, Func<TGrain, Task<TSnapshot?>> read)
        where TGrain : IGrainWithStringKey
        where TSnapshot : class
    {
        var events = deliveries.Select(b => Event(SubVerse, b)).ToList();
        var key = GrainKeys.Call(events[0].Source, events[0].EntityId);
        Task<IngestResult> Send(IncomingEvent e, int i)
        {
            var grain = fixture.Silo(trial + i).GetGrain<TGrain>(key);
            return grain switch
            {
                ICallGrain call => call.IngestAsync(e),
                IWorkflowExecutionGrain workflow => workflow.IngestAsync(e),
                _ => throw new InvalidOperationException(),
            };
        }

        if (concurrently)
        {
            await Task.WhenAll(events.Select(Send));
        }
        else
        {
            for (var i = 0; i < events.Count; i++)
            {
                await Send(events[i], i);
            }
        }

        var snapshot = await read(fixture.Client.GetGrain<TGrain>(key));
        Assert.NotNull(snapshot);
        return snapshot;
    }
}
