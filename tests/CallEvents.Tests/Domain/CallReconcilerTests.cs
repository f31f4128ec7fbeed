using CallEvents.Domain;
using static CallEvents.Tests.Domain.EventBuilder;

namespace CallEvents.Tests.Domain;

public sealed class CallReconcilerTests
{
    private const string VerbexKey = "verbex/call-1";
    private const string SubVerseKey = "subverse/call-1";

    [Fact]
    public void Status_is_the_highest_phase_and_a_late_lower_phase_fills_its_timestamp()
    {
        var pca = Call(NormalizedEventType.PcaCompleted, 40, source: EventSources.Verbex);
        var started = Call(NormalizedEventType.CallStarted, 0, source: EventSources.Verbex);
        var snapshot = CallReconciler.Reconcile(VerbexKey, [pca, started], 0);

        Assert.Equal(CallPhase.PcaReady, snapshot.Status);
        Assert.Equal(T0, snapshot.Phases.Started);
        Assert.Equal(T0.AddSeconds(40), snapshot.Phases.PcaReady);
        Assert.Equal<CallPhase>([CallPhase.Ended], snapshot.MissingPhases);
        Assert.Equal(CallOutcome.Succeeded, snapshot.Outcome);
    }

    [Fact]
    public void Missing_phases_clear_when_they_arrive()
    {
        var events = new[]
        {
            Call(NormalizedEventType.PcaCompleted, 40, source: EventSources.Verbex),
            Call(NormalizedEventType.CallEnded, 30, source: EventSources.Verbex),
            Call(NormalizedEventType.CallStarted, 0, source: EventSources.Verbex),
        };
        Assert.Empty(CallReconciler.Reconcile(VerbexKey, events, 0).MissingPhases);
    }

    [Fact]
    public void SubVerse_completed_with_analysis_is_ended_and_pca_ready()
    {
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallCompleted, 60, analysis: true)], 0);
        Assert.Equal(CallPhase.PcaReady, snapshot.Status);
        Assert.Equal(T0.AddSeconds(60), snapshot.Phases.Ended);
        Assert.Equal("negative", snapshot.Pca?.Analysis?.Sentiment);
        Assert.Equal<CallPhase>([CallPhase.Queued, CallPhase.Placed], snapshot.MissingPhases);
    }

    [Fact]
    public void SubVerse_completed_without_analysis_is_only_ended()
    {
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallCompleted, 60)], 0);
        Assert.Equal(CallPhase.Ended, snapshot.Status);
        Assert.Null(snapshot.Pca);
    }

    [Fact]
    public void A_failure_alone_is_terminal_and_implies_no_earlier_phase()
    {
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallExpired, 5, reason: "no answer")], 0);
        Assert.Equal(CallPhase.Failed, snapshot.Status);
        Assert.Equal(CallOutcome.Expired, snapshot.Outcome);
        Assert.Equal("no answer", snapshot.FailureReason);
        Assert.Empty(snapshot.MissingPhases);
        Assert.Empty(snapshot.Anomalies);
    }

    [Fact]
    public void Conflicting_terminals_keep_both_and_the_later_failure_wins()
    {
        var completed = Call(NormalizedEventType.CallCompleted, 60);
        var errored = Call(NormalizedEventType.CallErrored, 61, reason: "carrier error");
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [completed, errored], 0);

        Assert.Equal(CallOutcome.Errored, snapshot.Outcome);
        Assert.Equal(CallPhase.Failed, snapshot.Status);
        Assert.Equal("carrier error", snapshot.FailureReason);
        Assert.Equal(T0.AddSeconds(60), snapshot.Phases.Ended);
        Assert.Equal(T0.AddSeconds(61), snapshot.Phases.Failed);
        Assert.Equal(AnomalyCodes.ConflictingTerminals, Assert.Single(snapshot.Anomalies).Code);
    }

    [Fact]
    public void Conflicting_terminals_with_the_later_success_end_as_success()
    {
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallCanceled, 59), Call(NormalizedEventType.CallCompleted, 60)], 0);
        Assert.Equal(CallOutcome.Succeeded, snapshot.Outcome);
        Assert.Equal(CallPhase.Ended, snapshot.Status);
        Assert.Null(snapshot.FailureReason);
        Assert.Single(snapshot.Anomalies);
    }

    [Fact]
    public void Conflicting_terminals_at_the_same_time_go_to_success()
    {
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallErrored, 60), Call(NormalizedEventType.CallCompleted, 60)], 0);
        Assert.Equal(CallOutcome.Succeeded, snapshot.Outcome);
    }

    [Fact]
    public void A_failure_after_pca_keeps_pca_as_the_status_but_the_outcome_follows_time()
    {
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallCompleted, 60, analysis: true), Call(NormalizedEventType.CallErrored, 90)], 0);
        Assert.Equal(CallPhase.PcaReady, snapshot.Status);
        Assert.Equal(CallOutcome.Errored, snapshot.Outcome);
    }

    [Fact]
    public void Unknown_events_are_counted_but_change_nothing()
    {
        var known = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallPlaced, 1)], 0);
        var withUnknown = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallPlaced, 1), Call(NormalizedEventType.Unknown, 99, agent: "someone-else")], 0);

        Assert.Equal(known.Status, withUnknown.Status);
        Assert.Equal(known.AgentId, withUnknown.AgentId);
        Assert.Equal(1, withUnknown.UnrecognizedCount);
        Assert.Equal(2, withUnknown.EventCount);
    }

    [Fact]
    public void Events_naming_different_agents_are_an_anomaly_and_the_latest_agent_wins()
    {
        var snapshot = CallReconciler.Reconcile(SubVerseKey, [Call(NormalizedEventType.CallPlaced, 1, agent: "a"), Call(NormalizedEventType.CallCompleted, 9, agent: "b")], 0);
        Assert.Equal("b", snapshot.AgentId);
        Assert.Equal(AnomalyCodes.AgentMismatch, Assert.Single(snapshot.Anomalies).Code);
    }

    [Fact]
    public void Every_permutation_yields_the_same_snapshot()
    {
        IncomingEvent[] events =
        [
            Call(NormalizedEventType.CallQueued, 0),
            Call(NormalizedEventType.CallPlaced, 5, agent: "a"),
            Call(NormalizedEventType.CallCompleted, 60, analysis: true, agent: "b"),
            Call(NormalizedEventType.CallErrored, 60, reason: "x"),
            Call(NormalizedEventType.CallPlaced, 6, id: "second-placed"),
        ];
        var expected = CallReconciler.Reconcile(SubVerseKey, events, 2);
        foreach (var permutation in Permutations.Of(events))
        {
            Assert.Equal(expected, CallReconciler.Reconcile(SubVerseKey, permutation, 2), SnapshotComparer.Call);
        }
    }
}
