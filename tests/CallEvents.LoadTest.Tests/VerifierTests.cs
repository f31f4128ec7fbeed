using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Tests;

/// <summary>The verdict must fail when a snapshot is wrong; otherwise the load test proves nothing.</summary>
public sealed class VerifierTests
{
    private static readonly DateTimeOffset T0 = new(2025, 12, 8, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_snapshot_matching_the_model_passes()
    {
        var entity = VerbexCall();
        AcknowledgeAll(entity);
        Acknowledge(entity.Events[1]); // one duplicate of CallEnded

        var verdict = Verifier.Check(entity, Correct(entity, duplicates: 1));

        Assert.True(verdict.Passed, string.Join("; ", verdict.Differences));
        Assert.False(verdict.Uncertain);
    }

    [Fact]
    public void A_wrong_event_count_fails()
    {
        var entity = VerbexCall();
        AcknowledgeAll(entity);

        var verdict = Verifier.Check(entity, Correct(entity) with { EventCount = 2 });

        Assert.False(verdict.Passed);
        Assert.Contains(verdict.Differences, d => d.StartsWith("eventCount", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_acknowledged_event_fails()
    {
        var entity = VerbexCall();
        AcknowledgeAll(entity);

        // What the service would show had it lost the acknowledged PCA event.
        var lost = Expectations.For(entity, [entity.Events[0], entity.Events[1]]);
        var observed = Observed(lost, duplicates: 0);

        var verdict = Verifier.Check(entity, observed);

        Assert.False(verdict.Passed);
        Assert.Contains(verdict.Differences, d => d.StartsWith("status: expected 'PcaReady'", StringComparison.Ordinal));
        Assert.Contains(verdict.Differences, d => d.StartsWith("phases.PcaReady", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_snapshot_fails_when_anything_was_acknowledged()
    {
        var entity = VerbexCall();
        Acknowledge(entity.Events[0]);

        Assert.False(Verifier.Check(entity, observed: null).Passed);
    }

    [Fact]
    public void Wrong_duplicate_counts_fail_both_ways()
    {
        var entity = VerbexCall();
        AcknowledgeAll(entity);
        Acknowledge(entity.Events[2]);

        Assert.True(Verifier.Check(entity, Correct(entity, duplicates: 1)).Passed);
        Assert.False(Verifier.Check(entity, Correct(entity, duplicates: 0)).Passed);
        Assert.False(Verifier.Check(entity, Correct(entity, duplicates: 2)).Passed);
    }

    [Fact]
    public void Wrong_phase_times_outcome_or_missing_phases_fail()
    {
        var entity = SubVerseFailedCall();
        AcknowledgeAll(entity);
        var correct = Correct(entity);
        Assert.True(Verifier.Check(entity, correct).Passed);
        Assert.Equal("Failed", correct.Status);
        Assert.Equal("Errored", correct.Outcome);

        var shifted = new Dictionary<string, DateTimeOffset>(correct.Phases) { ["Queued"] = correct.Phases["Queued"].AddTicks(1) };
        Assert.False(Verifier.Check(entity, correct with { Phases = shifted }).Passed);
        Assert.False(Verifier.Check(entity, correct with { Outcome = "Canceled" }).Passed);
        Assert.False(Verifier.Check(entity, correct with { MissingPhases = ["Placed"] }).Passed);
        Assert.False(Verifier.Check(entity, correct with { FailureReason = null }).Passed);
    }

    [Fact]
    public void Workflow_node_count_and_last_node_are_checked()
    {
        var entity = Workflow();
        AcknowledgeAll(entity);
        var correct = Correct(entity);
        Assert.True(Verifier.Check(entity, correct).Passed);
        Assert.Equal(2, correct.NodeExecutions);
        Assert.Equal("node_2", correct.LastNode);

        Assert.False(Verifier.Check(entity, correct with { NodeExecutions = 1 }).Passed);
        Assert.False(Verifier.Check(entity, correct with { LastNode = "node_1" }).Passed);
    }

    [Fact]
    public void An_event_sent_but_never_acknowledged_may_be_present_or_absent_but_nothing_else()
    {
        var entity = VerbexCall();
        Acknowledge(entity.Events[0]);
        Acknowledge(entity.Events[1]);
        entity.Events[2].RecordSent();
        entity.Events[2].RecordUncertain();

        var without = Observed(Expectations.For(entity, [entity.Events[0], entity.Events[1]]), duplicates: 0);
        var with = Observed(Expectations.For(entity, entity.Events.ToList()), duplicates: 0);

        var absent = Verifier.Check(entity, without);
        Assert.True(absent.Passed, string.Join("; ", absent.Differences));
        Assert.True(absent.Uncertain);
        Assert.True(Verifier.Check(entity, with).Passed);
        Assert.False(Verifier.Check(entity, with with { EventCount = 4 }).Passed);
        Assert.False(Verifier.Check(entity, without with { EventCount = 1 }).Passed);
    }

    [Fact]
    public void Generated_events_carry_the_provider_times_the_model_expects()
    {
        // The model's phase times come from the generator; the body must carry exactly those.
        var generator = new WorkloadGenerator(new WorkloadOptions { Calls = 1, Workflows = 0, VerbexShare = 1, DuplicateRate = 0, ShuffleShare = 0, Window = 1 }, "tag00000");
        Assert.True(generator.TryNext(out var delivery));
        using var document = System.Text.Json.JsonDocument.Parse(delivery.Body);
        var seconds = document.RootElement.GetProperty("timestamp").GetDecimal();
        Assert.Equal(delivery.Event.ProviderTime, DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond)));
        Assert.Equal("CallHandler.CallStarted", document.RootElement.GetProperty("eventName").GetString());
    }

    private static EntityModel VerbexCall() => new()
    {
        Type = EntityType.VerbexCall,
        EntityId = "690852542548d87bb5238118",
        Events =
        [
            new EventModel { Kind = EventKind.VerbexCallStarted, ProviderTime = T0 },
            new EventModel { Kind = EventKind.VerbexCallEnded, ProviderTime = T0.AddMinutes(3) },
            new EventModel { Kind = EventKind.VerbexPcaCompleted, ProviderTime = T0.AddMinutes(3.5) },
        ],
    };

    private static EntityModel SubVerseFailedCall() => new()
    {
        Type = EntityType.SubVerseCall,
        EntityId = "call_xyz789",
        Events =
        [
            new EventModel { Kind = EventKind.SubVerseInQueue, ProviderTime = T0 },
            new EventModel { Kind = EventKind.SubVersePlaced, ProviderTime = T0.AddSeconds(5) },
            new EventModel { Kind = EventKind.SubVerseErrored, ProviderTime = T0.AddSeconds(50), Reason = "carrier returned SIP 503" },
        ],
    };

    private static EntityModel Workflow() => new()
    {
        Type = EntityType.Workflow,
        EntityId = "exec_789",
        Events =
        [
            new EventModel { Kind = EventKind.WorkflowInQueue, ProviderTime = T0 },
            new EventModel { Kind = EventKind.WorkflowStarted, ProviderTime = T0.AddSeconds(1) },
            new EventModel { Kind = EventKind.WorkflowNodeExecution, ProviderTime = T0.AddSeconds(9), NodeName = "node_2" },
            new EventModel { Kind = EventKind.WorkflowNodeExecution, ProviderTime = T0.AddSeconds(4), NodeName = "node_1" },
            new EventModel { Kind = EventKind.WorkflowCompleted, ProviderTime = T0.AddSeconds(12) },
        ],
    };

    private static void Acknowledge(EventModel e)
    {
        e.RecordSent();
        e.RecordAcknowledged();
    }

    private static void AcknowledgeAll(EntityModel entity)
    {
        foreach (var e in entity.Events)
        {
            Acknowledge(e);
        }
    }

    private static ObservedSnapshot Correct(EntityModel entity, int duplicates = 0) =>
        Observed(Expectations.For(entity, entity.Events.ToList()), duplicates);

    private static ObservedSnapshot Observed(ExpectedSnapshot expected, int duplicates) => new()
    {
        Status = expected.Status,
        Outcome = expected.Outcome,
        Phases = expected.Phases,
        MissingPhases = expected.MissingPhases,
        EventCount = expected.EventCount,
        DuplicateCount = duplicates,
        NodeExecutions = expected.NodeExecutions,
        LastNode = expected.LastNode,
        FailureReason = expected.FailureReason,
    };
}
