using CallEvents.Domain;
using CallEvents.Journal;
using CallEvents.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace CallEvents.Grains;

/// <summary>
/// One workflow execution's lifecycle, keyed <c>{source}/{executionId}</c>: its journal stream folded into a state,
/// reconciliation, and <c>workflow-completed</c> / <c>workflow-failed</c> once. Node executions are counted; past the
/// caps their payloads are not kept, but a terminal event is always accepted.
/// </summary>
public sealed class WorkflowExecutionGrain : Grain, IWorkflowExecutionGrain
{
    private readonly string _key;
    private readonly JournaledState<EntityState, EntityEntry> _log;
    private readonly Outbox _outbox;
    private readonly ProcessingOptions _limits;
    private readonly LifecycleOptions _lifecycle;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private (EntityState State, WorkflowSnapshot Snapshot)? _snapshot;

    /// <summary>Creates the grain over the silo's journal.</summary>
    public WorkflowExecutionGrain(
        IJournal journal,
        Serializer serializer,
        IOptions<ProcessingOptions> limits,
        IOptions<LifecycleOptions> lifecycle,
        FollowUpRegistry consumers,
        [FromKeyedServices(CallEventClock.Key)] TimeProvider time,
        ILogger<WorkflowExecutionGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(lifecycle);
        _key = this.GetPrimaryKeyString();
        _log = new(journal, serializer, JournalStreams.Workflow(_key), EntityState.Empty, static (state, entry, sequence) => state.Apply(entry, sequence), logger);
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
        EntityIntake.EnsureBelongs(incoming, EntityKind.WorkflowExecution, GrainKeys.Workflow(incoming.Source, incoming.EntityId), _key);
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

        var rank = PhaseRanks.Of(WorkflowReconciler.PhaseOf(incoming));
        var late = rank > 0 && !state.IsEmpty && rank < PhaseRanks.Of(Snapshot(state).Status);
        var stored = EntityIntake.Store(state, incoming, late, _limits);
        var reconciled = WorkflowReconciler.Reconcile(_key, state.Events.Add(stored.Event), state.Duplicates);
        var now = _time.GetUtcNow();
        var entry = new EntityEntry { Accepted = stored, Emitted = _outbox.Stage(state, EmissionsFor(reconciled, now)) };
        var next = _log.Preview(entry);
        var snapshot = reconciled with { Truncated = next.Truncation };
        var payload = stored.PayloadKept ? incoming.RawPayload : (ReadOnlyMemory<byte>?)null;
        if (!await _log.AppendAsync(entry, next, payload, IndexRow(snapshot), new DueChange(NextDue(next, now)), $"Event {incoming.EventName}"))
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
    public async Task<WorkflowSnapshot?> GetSnapshotAsync()
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
        if (!await _log.AppendAsync(entry, next, null, null, new DueChange(NextDue(next, _time.GetUtcNow())), $"Confirmation of {emissionId} by {consumer}"))
        {
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
        var entry = new EntityEntry { Confirmed = _outbox.Unregistered(state), Emitted = _outbox.Stage(state, EmissionsFor(Snapshot(state), now)) };
        if (entry.Confirmed.IsEmpty && entry.Emitted.IsEmpty)
        {
            await _log.SetDueAsync(NextDue(state, now));
        }
        else
        {
            var next = _log.Preview(entry);
            if (!await _log.AppendAsync(entry, next, null, null, new DueChange(NextDue(next, now)), "Lifecycle wake"))
            {
                return;
            }

            Outbox.Stored(entry.Emitted);
            state = next;
        }

        await _outbox.PublishAsync(this.GetStreamProvider(Names.StreamProvider), EntityIntake.ToPublish(state, entry));
    }

    private WorkflowSnapshot Snapshot(EntityState state)
    {
        if (_snapshot is { } cached && ReferenceEquals(cached.State, state))
        {
            return cached.Snapshot;
        }

        var snapshot = WorkflowReconciler.Reconcile(_key, state.Events, state.Duplicates) with { Truncated = state.Truncation };
        _snapshot = (state, snapshot);
        return snapshot;
    }

    private bool IfRecorded(EntityState state)
    {
        if (state.IsEmpty)
        {
            DeactivateOnIdle();
        }

        return !state.IsEmpty;
    }

    /// <summary>Workflow executions have no deadlines: they are woken only to republish unconfirmed emissions.</summary>
    private DateTimeOffset? NextDue(EntityState state, DateTimeOffset now) =>
        state.Pending.IsEmpty ? null : now + _lifecycle.RepublishAfter;

    private static IEnumerable<LifecycleEvent> EmissionsFor(WorkflowSnapshot snapshot, DateTimeOffset now)
    {
        var streamNamespace = snapshot.Status switch
        {
            WorkflowPhase.Completed => StreamNamespaces.WorkflowCompleted,
            WorkflowPhase.Failed => StreamNamespaces.WorkflowFailed,
            _ => null,
        };
        if (streamNamespace is not null)
        {
            yield return new WorkflowFinishedEvent
            {
                EmissionId = Guid.NewGuid(),
                Namespace = streamNamespace,
                Key = snapshot.Key,
                Source = snapshot.Source,
                EmittedAt = now,
                ExecutionId = snapshot.ExecutionId,
                WorkflowId = snapshot.WorkflowId,
                WorkflowName = snapshot.WorkflowName,
                Status = snapshot.Status,
                FailureReason = snapshot.FailureReason,
                NodeExecutions = snapshot.NodeExecutions,
                Phases = snapshot.Phases,
            };
        }
    }

    private static EntityIndexRow IndexRow(WorkflowSnapshot snapshot) => new()
    {
        Kind = JournalStreams.WorkflowKind,
        Source = snapshot.Source,
        EntityId = snapshot.ExecutionId,
        Status = snapshot.Status.ToString(),
        Anomalies = [.. snapshot.Anomalies.Select(a => a.Code)],
        OrganizationId = snapshot.OrganizationId,
        FirstReceivedAt = snapshot.FirstReceivedAt,
        LastReceivedAt = snapshot.LastReceivedAt,
        EventCount = snapshot.EventCount,
        Finished = snapshot.Status is WorkflowPhase.Completed or WorkflowPhase.Failed,
    };

    /// <inheritdoc/>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CallEventsTelemetry.Pending.Forget(_key);
        return base.OnDeactivateAsync(reason, cancellationToken);
    }
}
