using CallEvents.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Grains;

/// <summary>
/// One call's lifecycle, keyed <c>{source}/{callId}</c>: reconciliation, <c>call-pca-ready</c> once, and the
/// stalled-call watchdog (rule 6) on the grain's durable lifecycle reminder.
/// </summary>
public sealed class CallGrain(
    [PersistentState("call", Names.GrainStorage)] IPersistentState<EventLogState> state,
    IOptions<ProcessingOptions> options,
    IOptions<LifecycleOptions> lifecycle,
    FollowUpRegistry consumers,
    TimeProvider time,
    ILogger<CallGrain> logger)
    : EventLogGrain<CallSnapshot>(state, options, lifecycle, consumers, time, logger), ICallGrain
{
    /// <inheritdoc/>
    protected override EntityKind Kind => EntityKind.Call;

    /// <inheritdoc/>
    public Task<IngestResult> IngestAsync(IncomingEvent incoming) => IngestCoreAsync(incoming);

    /// <inheritdoc/>
    public Task<CallSnapshot?> GetSnapshotAsync() => GetSnapshotCoreAsync();

    /// <inheritdoc/>
    public Task<EventHistory?> GetEventsAsync() => GetEventsCoreAsync();

    /// <inheritdoc/>
    public Task ConfirmEmissionAsync(Guid emissionId, string consumer) => ConfirmEmissionCoreAsync(emissionId, consumer);

    /// <inheritdoc/>
    protected override string KeyOf(IncomingEvent incoming) => GrainKeys.Call(incoming.Source, incoming.EntityId);

    /// <inheritdoc/>
    protected override int RankOf(IncomingEvent incoming) => CallReconciler.RankOf(incoming);

    /// <inheritdoc/>
    protected override int StatusRankOf(CallSnapshot snapshot) => PhaseRanks.Of(snapshot.Status);

    /// <inheritdoc/>
    protected override CallSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount) =>
        CallReconciler.Reconcile(key, events, duplicateCount) with { Stalled = State.Stalled };

    /// <inheritdoc/>
    protected override IEnumerable<(string Marker, LifecycleEvent Event)> EmissionsFor(CallSnapshot snapshot, DateTimeOffset now)
    {
        if (snapshot.Status == CallPhase.PcaReady)
        {
            yield return (StreamNamespaces.CallPcaReady, Stamp(snapshot, now, StreamNamespaces.CallPcaReady, new CallPcaReadyEvent { Pca = snapshot.Pca ?? new PcaInfo() }));
        }

        if (State.Stalled is { } stalled)
        {
            yield return ($"{StreamNamespaces.CallStalled}:{stalled.Reason}", Stamp(snapshot, now, StreamNamespaces.CallStalled, new CallStalledEvent { Reason = stalled.Reason, WaitingSince = stalled.WaitingSince }));
        }
    }

    /// <inheritdoc/>
    protected override bool NeedsTicks(CallSnapshot snapshot) =>
        base.NeedsTicks(snapshot) || (Watch(snapshot) is { } watch && State.Stalled?.Reason != watch.Reason);

    /// <inheritdoc/>
    protected override bool AfterEventStaged(CallSnapshot snapshot)
    {
        // The missing event arrived (or the call moved on): the flag goes, as rule 6 says.
        if (State.Stalled is { } stalled && Watch(snapshot)?.Reason != stalled.Reason)
        {
            State.Stalled = null;
            return true;
        }

        return false;
    }

    /// <inheritdoc/>
    protected override bool OnTick(CallSnapshot snapshot, DateTimeOffset now)
    {
        if (Watch(snapshot) is not { } watch || now < watch.Due || State.Stalled?.Reason == watch.Reason)
        {
            return false;
        }

        State.Stalled = new StallInfo(watch.Reason, watch.Since, now);
        EventLogMessages.Stalled(Logger, snapshot.Key, watch.Reason, watch.Since);
        return true;
    }

    /// <summary>The deadline the call is waiting on, if any (rule 6). Deadlines run from our receive times.</summary>
    private (StallReason Reason, DateTimeOffset Since, DateTimeOffset Due)? Watch(CallSnapshot snapshot)
    {
        switch (snapshot.Status)
        {
            case CallPhase.Queued or CallPhase.Placed or CallPhase.Started:
                return (StallReason.NotEnded, snapshot.FirstReceivedAt, snapshot.FirstReceivedAt + Lifecycle.EndDeadline);
            case CallPhase.Ended when snapshot.Outcome == CallOutcome.Succeeded && Lifecycle.ExpectsPca(snapshot.Source):
                var since = Log.Events.Where(e => CallReconciler.PhasesOf(e).Contains(CallPhase.Ended)).Min(e => e.ReceivedAt);
                return (StallReason.EndedWithoutPca, since, since + Lifecycle.PcaDeadline);
            default:
                return null;
        }
    }

    private static LifecycleEvent Stamp(CallSnapshot snapshot, DateTimeOffset now, string streamNamespace, CallLifecycleEvent specific) =>
        specific with
        {
            EmissionId = Guid.NewGuid(),
            Namespace = streamNamespace,
            Key = snapshot.Key,
            Source = snapshot.Source,
            EmittedAt = now,
            CallId = snapshot.CallId,
            AgentId = snapshot.AgentId,
            OrganizationId = snapshot.OrganizationId,
            Status = snapshot.Status,
            Outcome = snapshot.Outcome,
            Phases = snapshot.Phases,
            CustomerNumber = snapshot.CustomerNumber,
        };
}
