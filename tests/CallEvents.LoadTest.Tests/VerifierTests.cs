using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;
using Microsoft.Extensions.Time.Testing;

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
    public void One_decision_per_pca_ready_call_and_completed_workflow_passes()
    {
        var call = VerbexCall();
        AcknowledgeAll(call);
        var workflow = Workflow();
        AcknowledgeAll(workflow);

        var callVerdict = Verifier.Check(call, WithDecisions(Correct(call), (StreamNamespaces.CallPcaReady, 1)));
        var workflowVerdict = Verifier.Check(workflow, WithDecisions(Correct(workflow), (StreamNamespaces.WorkflowCompleted, 1)));

        Assert.True(callVerdict.Passed, string.Join("; ", callVerdict.Differences));
        Assert.True(workflowVerdict.Passed, string.Join("; ", workflowVerdict.Differences));
    }

    [Fact]
    public void A_missing_decision_fails()
    {
        var call = VerbexCall();
        AcknowledgeAll(call);
        var workflow = Workflow();
        AcknowledgeAll(workflow);

        var callVerdict = Verifier.Check(call, WithDecisions(Correct(call)));
        var workflowVerdict = Verifier.Check(workflow, WithDecisions(Correct(workflow)));

        Assert.False(callVerdict.Passed);
        Assert.Equal("decisions.call-pca-ready: expected 1, got 0", Assert.Single(callVerdict.Differences));
        Assert.False(workflowVerdict.Passed);
        Assert.Equal("decisions.workflow-completed: expected 1, got 0", Assert.Single(workflowVerdict.Differences));
    }

    [Fact]
    public void Two_decisions_fail_whether_two_emissions_or_one_emission_decided_twice()
    {
        var call = VerbexCall();
        AcknowledgeAll(call);

        // Two emissions (two ids), each decided once: the call was emitted twice.
        var twice = Verifier.Check(call, WithDecisions(Correct(call), (StreamNamespaces.CallPcaReady, 2)));
        Assert.False(twice.Passed);
        Assert.Equal("decisions.call-pca-ready: expected 1, got 2", Assert.Single(twice.Differences));

        // One emission decided twice: two decisions, one emission id.
        var decidedTwice = Verifier.Check(call, WithDecisions(Correct(call), (StreamNamespaces.CallPcaReady, 2)) with { DecidedEmissions = 1 });
        Assert.False(decidedTwice.Passed);
        Assert.Contains("decisions.distinctEmissionIds: expected 2, got 1", decidedTwice.Differences);
    }

    [Fact]
    public void A_decision_for_a_call_that_never_reached_pca_fails()
    {
        var failed = SubVerseFailedCall();
        AcknowledgeAll(failed);
        Assert.Empty(Expectations.For(failed, failed.Events.ToList()).Decisions);
        Assert.True(Verifier.Check(failed, WithDecisions(Correct(failed))).Passed);

        var verdict = Verifier.Check(failed, WithDecisions(Correct(failed), (StreamNamespaces.CallPcaReady, 1)));
        Assert.False(verdict.Passed);
        Assert.Equal("decisions.call-pca-ready: expected 0, got 1", Assert.Single(verdict.Differences));

        // A namespace the call never publishes on is wrong too.
        var wrong = Verifier.Check(failed, WithDecisions(Correct(failed), (StreamNamespaces.WorkflowCompleted, 1)));
        Assert.False(wrong.Passed);
    }

    [Fact]
    public void Unobservable_decisions_are_not_checked()
    {
        var call = VerbexCall();
        AcknowledgeAll(call);

        var observed = Correct(call);
        Assert.Null(observed.Decisions);
        Assert.True(Verifier.Check(call, observed).Passed);
    }

    [Fact]
    public void An_unacknowledged_pca_event_may_or_may_not_have_been_decided_on_but_consistently()
    {
        var entity = VerbexCall();
        Acknowledge(entity.Events[0]);
        Acknowledge(entity.Events[1]);
        entity.Events[2].RecordSent();
        entity.Events[2].RecordUncertain();

        var without = WithDecisions(Observed(Expectations.For(entity, [entity.Events[0], entity.Events[1]]), duplicates: 0));
        var with = WithDecisions(Observed(Expectations.For(entity, entity.Events.ToList()), duplicates: 0), (StreamNamespaces.CallPcaReady, 1));

        Assert.True(Verifier.Check(entity, without).Passed);
        Assert.True(Verifier.Check(entity, with).Passed);
        Assert.False(Verifier.Check(entity, without with { Decisions = with.Decisions, DecidedEmissions = 1 }).Passed);
        Assert.False(Verifier.Check(entity, with with { Decisions = without.Decisions, DecidedEmissions = 0 }).Passed);
    }

    [Fact]
    public async Task Decisions_that_arrive_late_pass_after_settling_and_never_arriving_ones_fail_at_the_deadline()
    {
        var late = VerbexCall();
        AcknowledgeAll(late);
        var never = Workflow();
        AcknowledgeAll(never);
        var reads = 0;
        var neverReads = 0;
        var settle = TimeSpan.FromSeconds(2);
        var clock = new SteppedClock();

        // One read at a time, in order, so the clock's steps are the verifier's pauses and nothing else.
        var verdict = await clock.DriveAsync(Verifier.VerifyAsync(
            [late, never],
            (entity, _) => Task.FromResult<ObservedSnapshot?>(entity == late
                ? WithDecisions(Correct(late), Interlocked.Increment(ref reads) < 3 ? [] : [(StreamNamespaces.CallPcaReady, 1)])
                : WithDecisions(Correct(Counted(never, ref neverReads)))),
            1,
            settle,
            clock,
            CancellationToken.None));

        Assert.Equal(1, verdict.Failed);
        Assert.Equal(never.Key, Assert.Single(verdict.Examples).Key);
        Assert.Equal("decisions.workflow-completed: expected 1, got 0", Assert.Single(verdict.Examples[0].Differences));
        Assert.Equal(3, reads);
        // The late entity took two 250 ms pauses; the other was read every 250 ms from then until the deadline, which
        // is one for the whole verification: reads at 0.5, 0.75, ... 2.0 s, and not one past it.
        Assert.Equal(settle, verdict.Elapsed);
        Assert.Equal(7, neverReads);
        Assert.True(verdict.EmissionsChecked);
        Assert.Equal(2, verdict.DecisionsChecked);
    }

    [Fact]
    public async Task Other_differences_are_not_waited_for_and_an_unobservable_target_says_emissions_were_not_checked()
    {
        var entity = VerbexCall();
        AcknowledgeAll(entity);
        var reads = 0;
        var clock = new SteppedClock();

        var wrong = await clock.DriveAsync(Verifier.VerifyAsync(
            [entity],
            (_, _) => Task.FromResult<ObservedSnapshot?>(WithDecisions(Correct(Counted(entity, ref reads)) with { EventCount = 2 })),
            1,
            TimeSpan.FromSeconds(30),
            clock,
            CancellationToken.None));
        var unobservable = await Verifier.VerifyAsync([entity], (_, _) => Task.FromResult<ObservedSnapshot?>(Correct(entity)), 1, CancellationToken.None);

        Assert.False(wrong.Passed);
        // A wrong event count is final at the first read: no pause, no second read.
        Assert.Equal(1, reads);
        Assert.Equal(0, clock.TimersStarted);
        Assert.Equal(TimeSpan.Zero, wrong.Elapsed);
        Assert.True(unobservable.Passed);
        Assert.False(unobservable.EmissionsChecked);
        Assert.Equal(1, unobservable.DecisionsNotObservable);
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

    /// <summary>The snapshot with the tally's decisions: one emission id per decision.</summary>
    private static ObservedSnapshot WithDecisions(ObservedSnapshot observed, params (string Namespace, int Count)[] decisions) => observed with
    {
        Decisions = decisions.ToDictionary(d => d.Namespace, d => d.Count),
        DecidedEmissions = decisions.Sum(d => d.Count),
    };

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

    /// <summary>Counts a read of <paramref name="entity"/> in <paramref name="reads"/>.</summary>
    private static EntityModel Counted(EntityModel entity, ref int reads)
    {
        Interlocked.Increment(ref reads);
        return entity;
    }

    /// <summary>
    /// A fake clock that moves on by one step for every timer the code under test starts (a <c>Task.Delay</c> on it), and
    /// only then: time passes exactly as the code's own pauses say, however fast or slow the machine is.
    /// </summary>
    private sealed class SteppedClock : FakeTimeProvider
    {
        private int _timersStarted;

        public int TimersStarted => Volatile.Read(ref _timersStarted);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // Registered with the fake clock before it is counted, so the step that the count allows fires it.
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref _timersStarted);
            return timer;
        }

        /// <summary>Runs <paramref name="work"/> to completion, advancing by each started timer's due time, one at a time.</summary>
        public async Task<T> DriveAsync<T>(Task<T> work)
        {
            var stepped = 0;
            while (!work.IsCompleted)
            {
                if (TimersStarted > stepped)
                {
                    stepped++;
                    Advance(Verifier.SettlePoll);
                }
                else
                {
                    // Only a yield to the code under test; how long it takes does not show in the clock.
                    await Task.WhenAny(work, Task.Delay(1));
                }
            }

            return await work;
        }
    }
}
