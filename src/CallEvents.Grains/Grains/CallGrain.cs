using CallEvents.Domain;
using CallEvents.Journal;
using CallEvents.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace CallEvents.Grains;

/// <summary>
/// One call's lifecycle, keyed <c>{source}/{callId}</c>. Its state is the fold of its journal stream: each accepted
/// delivery is one record (raw body beside it), written once. The grain reconciles the events (rule 1-4), emits
/// <c>call-pca-ready</c> once, and flags a stalled call (rule 6) when a sweeper wakes it at its deadline.
/// </summary>
public sealed class CallGrain : Grain, ICallGrain
{
    private readonly string _key;
    private readonly JournaledState<EntityState, EntityEntry> _log;
    private readonly Outbox _outbox;
    private readonly ProcessingOptions _limits;
    private readonly LifecycleOptions _lifecycle;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // The snapshot of one state, computed once per state.
    private (EntityState State, CallSnapshot Snapshot)? _snapshot;

    /// <summary>Creates the grain over the silo's journal.</summary>
    public CallGrain(
        IJournal journal,
        Serializer serializer,
        IOptions<ProcessingOptions> limits,
        IOptions<LifecycleOptions> lifecycle,
        FollowUpRegistry consumers,
        [FromKeyedServices(CallEventClock.Key)] TimeProvider time,
        ILogger<CallGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(lifecycle);
        _key = this.GetPrimaryKeyString();
        _log = new(journal, serializer, JournalStreams.Call(_key), EntityState.Empty, static (state, entry, sequence) => state.Apply(entry, sequence), logger);
        _outbox = new Outbox(consumers, logger, _key);
        _log.OnAdopted(Outbox.ReportPending(_key));
        _limits = limits.Value;
        _lifecycle = lifecycle.Value;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc/>
    public async Task<IngestResult> IngestAsync(IncomingEvent incoming)
    {
        EntityIntake.EnsureBelongs(incoming, EntityKind.Call, GrainKeys.Call(incoming.Source, incoming.EntityId), _key);
        var state = await _log.LoadAsync();
        if (state.Seen.Contains(incoming.DedupKey))
        {
            _snapshot = null;
            return await EntityIntake.CountDuplicateAsync(_log, incoming.DedupKey);
        }

        if (EntityIntake.RefusesTenant(state, incoming))
        {
            LifecycleMessages.TenantRefused(_logger, _key, incoming.Tenant!);
            return EntityIntake.Refused(state);
        }

        // Rule 1: an event of a lower phase than the status fills in its timestamp, but is marked late.
        var rank = CallReconciler.RankOf(incoming);
        var late = rank > 0 && !state.IsEmpty && rank < PhaseRanks.Of(Snapshot(state).Status);
        var stored = EntityIntake.Store(state, incoming, late, _limits);
        var reconciled = CallReconciler.Reconcile(_key, state.Events.Add(stored.Event), state.Duplicates);

        // Rule 6: the missing event arrived, or the call moved on: the stall flag goes.
        var stall = state.Stalled is { } stalled && Watch(reconciled, state)?.Reason != stalled.Reason ? new StallChange(null) : null;
        var now = _time.GetUtcNow();
        var entry = new EntityEntry
        {
            Accepted = stored,
            Stall = stall,
            Emitted = _outbox.Stage(state, EmissionsFor(reconciled with { Stalled = stall is null ? state.Stalled : null }, now)),
        };
        var next = _log.Preview(entry);
        var snapshot = reconciled with { Stalled = next.Stalled, Truncated = next.Truncation };
        var payload = stored.PayloadKept ? incoming.RawPayload : (ReadOnlyMemory<byte>?)null;
        if (!await _log.AppendAsync(entry, next, payload, IndexRow(snapshot), new DueChange(NextDue(next, snapshot, now)), $"Event {incoming.EventName}"))
        {
            return EntityIntake.NotStored(state);
        }

        Outbox.Stored(entry.Emitted);
        _snapshot = (next, snapshot);
        if (_lifecycle.PublishAfterWrite)
        {
            await _outbox.PublishAsync(this.GetStreamProvider(Names.StreamProvider), entry.Emitted);
        }

        return EntityIntake.Answer(incoming, next, late);
    }

    /// <inheritdoc/>
    public async Task<CallSnapshot?> GetSnapshotAsync()
    {
        var state = await _log.LoadAsync();
        return IfRecorded(state) ? Snapshot(state) : null;
    }

    /// <inheritdoc/>
    public async Task<EventHistory?> GetEventsAsync(int after, int limit)
    {
        var state = await _log.LoadAsync();
        return IfRecorded(state) ? await EntityHistory.PageAsync(_log, _key, after, limit) : null;
    }

    /// <inheritdoc/>
    public async Task ConfirmEmissionAsync(Guid emissionId, string consumer)
    {
        var state = await _log.LoadAsync();
        var entry = new EntityEntry { Confirmed = Outbox.Confirm(state, emissionId, consumer) };
        if (entry.Confirmed.IsEmpty)
        {
            return;
        }

        var next = _log.Preview(entry);
        if (!await _log.AppendAsync(entry, next, null, null, new DueChange(NextDue(next, Snapshot(state), _time.GetUtcNow())), $"Confirmation of {emissionId} by {consumer}"))
        {
            // The consumer learns it was not recorded; the republish brings the emission back and it confirms again.
            throw new JournalUnavailableException($"The confirmation of emission {emissionId} could not be stored; it will be republished.");
        }
    }

    /// <inheritdoc/>
    public async Task<bool> EraseAsync()
    {
        var state = await _log.LoadAsync();
        if (state.IsEmpty)
        {
            return false;
        }

        var tombstone = new EntityEntry { Erased = new Erasure([.. state.Seen], [.. state.Organizations], _time.GetUtcNow()) };
        if (!await _log.EraseAsync(tombstone, _log.Preview(tombstone)))
        {
            throw new JournalUnavailableException($"{_key} could not be erased now; retry later.");
        }

        _snapshot = null;
        return true;
    }

    /// <inheritdoc/>
    public async Task WakeAsync()
    {
        var state = await _log.LoadAsync();
        if (!IfRecorded(state))
        {
            await _log.SetDueAsync(null);
            return;
        }

        var now = _time.GetUtcNow();
        var snapshot = Snapshot(state);
        StallChange? stall = null;
        if (Watch(snapshot, state) is { } watch && now >= watch.Due && state.Stalled?.Reason != watch.Reason)
        {
            stall = new StallChange(new StallInfo(watch.Reason, watch.Since, now));
            LifecycleMessages.Stalled(_logger, _key, watch.Reason, watch.Since);
        }

        var flagged = snapshot with { Stalled = stall?.Flag ?? state.Stalled };
        var entry = new EntityEntry
        {
            Stall = stall,
            Confirmed = _outbox.Unregistered(state),
            Emitted = _outbox.Stage(state, EmissionsFor(flagged, now)),
        };
        if (stall is null && entry.Confirmed.IsEmpty && entry.Emitted.IsEmpty)
        {
            await _log.SetDueAsync(NextDue(state, snapshot, now));
        }
        else
        {
            var next = _log.Preview(entry);
            if (!await _log.AppendAsync(entry, next, null, IndexRow(flagged), new DueChange(NextDue(next, flagged, now)), "Lifecycle wake"))
            {
                return; // the sweeper's lease brings the wake back
            }

            Outbox.Stored(entry.Emitted);
            if (stall?.Flag is { } flaggedStall)
            {
                CallEventsTelemetry.Stalls.Add(1, new KeyValuePair<string, object?>("callevents.stall_reason", flaggedStall.Reason.ToString()));
            }

            state = next;
        }

        await _outbox.PublishAsync(this.GetStreamProvider(Names.StreamProvider), EntityIntake.ToPublish(state, entry));
    }

    private CallSnapshot Snapshot(EntityState state)
    {
        if (_snapshot is { } cached && ReferenceEquals(cached.State, state))
        {
            return cached.Snapshot;
        }

        var snapshot = CallReconciler.Reconcile(_key, state.Events, state.Duplicates) with { Stalled = state.Stalled, Truncated = state.Truncation };
        _snapshot = (state, snapshot);
        return snapshot;
    }

    /// <summary>A query never creates state, and an unknown id should not keep an activation alive either.</summary>
    private bool IfRecorded(EntityState state)
    {
        if (state.IsEmpty)
        {
            DeactivateOnIdle();
        }

        return !state.IsEmpty;
    }

    /// <summary>When the grain must be woken: to republish unconfirmed emissions, or at the deadline it is waiting on.</summary>
    private DateTimeOffset? NextDue(EntityState state, CallSnapshot snapshot, DateTimeOffset now)
    {
        DateTimeOffset? due = state.Pending.IsEmpty ? null : now + _lifecycle.RepublishAfter;
        if (Watch(snapshot, state) is { } watch && state.Stalled?.Reason != watch.Reason && (due is null || watch.Due < due))
        {
            due = watch.Due;
        }

        return due;
    }

    /// <summary>The deadline the call is waiting on, if any (rule 6). Deadlines run from our receive times.</summary>
    private (StallReason Reason, DateTimeOffset Since, DateTimeOffset Due)? Watch(CallSnapshot snapshot, EntityState state)
    {
        switch (snapshot.Status)
        {
            case CallPhase.Queued or CallPhase.Placed or CallPhase.Started:
                return (StallReason.NotEnded, snapshot.FirstReceivedAt, snapshot.FirstReceivedAt + _lifecycle.EndDeadline);
            case CallPhase.Ended when snapshot.Outcome == CallOutcome.Succeeded && _lifecycle.ExpectsPca(snapshot.Source):
                var since = state.Events.Where(e => CallReconciler.Sets(e, CallPhase.Ended)).Min(e => e.ReceivedAt);
                return (StallReason.EndedWithoutPca, since, since + _lifecycle.PcaDeadline);
            default:
                return null;
        }
    }

    private static IEnumerable<LifecycleEvent> EmissionsFor(CallSnapshot snapshot, DateTimeOffset now)
    {
        if (snapshot.Status == CallPhase.PcaReady)
        {
            yield return Stamp(snapshot, now, StreamNamespaces.CallPcaReady, new CallPcaReadyEvent { Pca = snapshot.Pca ?? new PcaInfo() });
        }

        if (snapshot.Stalled is { } stalled)
        {
            yield return Stamp(snapshot, now, StreamNamespaces.CallStalled, new CallStalledEvent { Reason = stalled.Reason, WaitingSince = stalled.WaitingSince });
        }
    }

    private static CallLifecycleEvent Stamp(CallSnapshot snapshot, DateTimeOffset now, string streamNamespace, CallLifecycleEvent specific) =>
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

    private EntityIndexRow IndexRow(CallSnapshot snapshot) => new()
    {
        Kind = JournalStreams.CallKind,
        Source = snapshot.Source,
        EntityId = snapshot.CallId,
        Status = snapshot.Status.ToString(),
        Outcome = snapshot.Outcome.ToString(),
        Stalled = snapshot.Stalled?.Reason.ToString(),
        Anomalies = [.. snapshot.Anomalies.Select(a => a.Code)],
        OrganizationId = snapshot.OrganizationId,
        FirstReceivedAt = snapshot.FirstReceivedAt,
        LastReceivedAt = snapshot.LastReceivedAt,
        EventCount = snapshot.EventCount,
        Finished = snapshot.Status is CallPhase.PcaReady or CallPhase.Failed
            || (snapshot.Status == CallPhase.Ended && !_lifecycle.ExpectsPca(snapshot.Source)),
    };

    /// <inheritdoc/>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CallEventsTelemetry.Pending.Forget(_key);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }
}
