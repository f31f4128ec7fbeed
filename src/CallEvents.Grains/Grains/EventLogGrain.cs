using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace CallEvents.Grains;

/// <summary>
/// What call and workflow-execution grains share: deduplicate a delivery, enforce the event limit, mark late
/// events, store the change together with any emission it causes (an outbox in the grain state), publish, and
/// keep republishing from a durable reminder until every registered consumer confirmed (rule 5).
/// </summary>
/// <typeparam name="TSnapshot">The reconciled snapshot type.</typeparam>
public abstract class EventLogGrain<TSnapshot> : Grain, IRemindable
    where TSnapshot : class
{
    /// <summary>The one reminder per grain: deadlines and republishing.</summary>
    protected const string TickReminder = "lifecycle";

    private readonly IOptions<ProcessingOptions> _options;
    private readonly FollowUpRegistry _consumers;
    private readonly ILogger _logger;
    private TSnapshot? _snapshot;

    // The handle this activation registered, so removing the reminder does not first read it back from the table.
    private IGrainReminder? _tick;

    /// <summary>Creates the grain over its persisted event log.</summary>
    protected EventLogGrain(
        IPersistentState<EventLogState> state,
        IOptions<ProcessingOptions> options,
        IOptions<LifecycleOptions> lifecycle,
        FollowUpRegistry consumers,
        TimeProvider time,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        _options = options;
        _consumers = consumers;
        _logger = logger;
        Lifecycle = lifecycle.Value;
        Time = time;
        Key = this.GetPrimaryKeyString();
        Log = new EventLog(state, logger, Key) { Deactivate = DeactivateOnIdle };
    }

    /// <summary>The grain key, <c>{source}/{id}</c>.</summary>
    protected string Key { get; }

    internal EventLog Log { get; }

    /// <summary>Watchdog and reminder settings.</summary>
    protected LifecycleOptions Lifecycle { get; }

    /// <summary>The clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The grain's persisted state.</summary>
    protected EventLogState State => Log.State;

    /// <summary>The grain's logger.</summary>
    protected ILogger Logger => _logger;

    /// <summary>The entity kind this grain holds.</summary>
    protected abstract EntityKind Kind { get; }

    /// <summary>The grain key an event belongs to.</summary>
    protected abstract string KeyOf(IncomingEvent incoming);

    /// <summary>The phase rank an event sets (0 for none).</summary>
    protected abstract int RankOf(IncomingEvent incoming);

    /// <summary>The rank of the snapshot's current status.</summary>
    protected abstract int StatusRankOf(TSnapshot snapshot);

    /// <summary>The snapshot of the accepted events (pure reconciliation plus grain-held flags).</summary>
    protected abstract TSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount);

    /// <summary>
    /// The emissions the snapshot calls for, each with a marker; an emission whose marker is already in
    /// <see cref="EventLogState.Emitted"/> is never emitted again (duplicates and late events never re-publish).
    /// </summary>
    protected abstract IEnumerable<(string Marker, LifecycleEvent Event)> EmissionsFor(TSnapshot snapshot, DateTimeOffset now);

    /// <summary>Whether the lifecycle reminder must run (by default: while emissions await confirmation).</summary>
    protected virtual bool NeedsTicks(TSnapshot snapshot) => State.Pending.Count > 0;

    /// <summary>Adjusts grain-held flags after an event was staged (e.g. clears a stall); true when it changed any.</summary>
    protected virtual bool AfterEventStaged(TSnapshot snapshot) => false;

    /// <summary>Runs on each lifecycle tick (e.g. flags a stall); true when it changed the state.</summary>
    protected virtual bool OnTick(TSnapshot snapshot, DateTimeOffset now) => false;

    /// <summary>Deduplicates, applies and durably stores one delivery, then publishes what it caused.</summary>
    protected async Task<IngestResult> IngestCoreAsync(IncomingEvent incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var key = Key;
        if (incoming.Entity != Kind || KeyOf(incoming) != key)
        {
            throw new ArgumentException($"Event for {incoming.Entity} {incoming.Source}/{incoming.EntityId} sent to grain {key}.", nameof(incoming));
        }

        if (Log.Contains(incoming.DedupKey))
        {
            await Log.RecordDuplicateAsync();
            _snapshot = null;
            return new IngestResult(IngestStatus.Duplicate, Log.Count);
        }

        var max = _options.Value.MaxEventsPerEntity;
        if (Log.Count >= max)
        {
            EventLogMessages.EventLimitReached(_logger, key, max, incoming.EventName);
            return new IngestResult(IngestStatus.LimitReached, Log.Count, $"{key} already holds the maximum of {max} events");
        }

        // Rule 1: an event of a lower phase than the current status fills in its timestamp but is marked late.
        var rank = RankOf(incoming);
        var late = rank > 0 && !Log.IsEmpty && rank < StatusRankOf(Current());
        var checkpoint = Log.Mark();
        Log.Stage(incoming, late);
        _snapshot = null;
        if (AfterEventStaged(Current()))
        {
            _snapshot = null;
        }

        var emitted = StageEmissions(Current(), Time.GetUtcNow());

        // The reminder is registered before the state write: a crash between the write and the publish then
        // still has a durable timer that republishes (and the watchdog that notices a missing terminal event).
        if (NeedsTicks(Current()) && !State.TickRegistered)
        {
            try
            {
                _tick = await this.RegisterOrUpdateReminder(TickReminder, Lifecycle.TickPeriod, Lifecycle.TickPeriod);
                State.TickRegistered = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Restore(checkpoint);
                _snapshot = null;
                EventLogMessages.ReminderNotRegistered(_logger, ex, key, incoming.EventName);
                return new IngestResult(IngestStatus.NotStored, Log.Count, "the event could not be stored");
            }
        }

        if (!await Log.CommitAsync(checkpoint, $"Event {incoming.EventName}"))
        {
            _snapshot = null;
            return new IngestResult(IngestStatus.NotStored, Log.Count, "the event could not be stored");
        }

        if (Lifecycle.PublishAfterWrite)
        {
            await PublishAsync(emitted);
        }

        return new IngestResult(
            incoming.Type == NormalizedEventType.Unknown ? IngestStatus.Unrecognized : IngestStatus.Accepted,
            Log.Count);
    }

    /// <summary>The snapshot, or null (and no lingering activation) when nothing was ever accepted.</summary>
    protected Task<TSnapshot?> GetSnapshotCoreAsync() => Task.FromResult(IfRecorded(Current));

    /// <summary>The history, or null when nothing was ever accepted.</summary>
    protected Task<EventHistory?> GetEventsCoreAsync() => Task.FromResult(IfRecorded(Log.History));

    /// <summary>Records a consumer's confirmation; once all confirmed, the emission is done.</summary>
    protected async Task ConfirmEmissionCoreAsync(Guid emissionId, string consumer)
    {
        var index = State.Pending.FindIndex(p => p.Event.EmissionId == emissionId);
        if (index < 0 || !State.Pending[index].AwaitingConsumers.Contains(consumer))
        {
            return;
        }

        var checkpoint = Log.Mark();
        var remaining = State.Pending[index].AwaitingConsumers.Remove(consumer);
        if (remaining.IsEmpty)
        {
            State.Pending.RemoveAt(index);
        }
        else
        {
            State.Pending[index] = State.Pending[index] with { AwaitingConsumers = remaining };
        }

        var idle = MarkTicksIdle();
        if (!await Log.CommitAsync(checkpoint, $"Confirmation of {emissionId} by {consumer}"))
        {
            // The consumer learns it was not recorded; the republish brings the emission back and it confirms again.
            throw new InvalidOperationException($"The confirmation of emission {emissionId} could not be stored; it will be republished.");
        }

        if (idle)
        {
            await UnregisterTickAsync();
        }
    }

    /// <inheritdoc/>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != TickReminder)
        {
            return;
        }

        var checkpoint = Log.Mark();
        var changed = DropUnregisteredConsumers();
        if (!Log.IsEmpty && OnTick(Current(), Time.GetUtcNow()))
        {
            _snapshot = null;
            changed = true;
        }

        var emitted = Log.IsEmpty ? [] : StageEmissions(Current(), Time.GetUtcNow());
        changed |= emitted.Count > 0;
        if (!State.TickRegistered && !Log.IsEmpty && NeedsTicks(Current()))
        {
            // This tick proves the reminder exists; the state says otherwise only after an unlucky failed write.
            State.TickRegistered = true;
            changed = true;
        }

        var republish = State.Pending.Where(p => !emitted.Contains(p)).ToList();
        changed |= MarkTicksIdle();
        if (changed && !await Log.CommitAsync(checkpoint, "Lifecycle tick"))
        {
            _snapshot = null;
            return; // the next tick tries again
        }

        await PublishAsync([.. republish, .. emitted]);
        if (!State.TickRegistered)
        {
            // This tick proves the reminder exists, whatever the state says; nothing needs it any more.
            await UnregisterTickAsync();
        }
    }

    /// <summary>The current snapshot, reconciled once per change.</summary>
    protected TSnapshot Current() =>
        _snapshot ??= Reconcile(Key, [.. Log.Events], State.DuplicateCount);

    private List<PendingEmission> StageEmissions(TSnapshot snapshot, DateTimeOffset now)
    {
        List<PendingEmission> staged = [];
        foreach (var (marker, lifecycleEvent) in EmissionsFor(snapshot, now))
        {
            if (!State.Emitted.Add(marker))
            {
                continue;
            }

            var pending = new PendingEmission(lifecycleEvent, _consumers.ConsumersOf(lifecycleEvent.Namespace));
            var awaiting = pending.AwaitingConsumers.Count;
            EventLogMessages.Emitted(_logger, Key, lifecycleEvent.Namespace, lifecycleEvent.EmissionId, awaiting);
            if (!pending.AwaitingConsumers.IsEmpty)
            {
                State.Pending.Add(pending);
            }

            staged.Add(pending);
        }

        return staged;
    }

    private bool DropUnregisteredConsumers()
    {
        // A consumer removed from this deployment would never confirm; do not wait for it forever.
        var changed = false;
        for (var i = State.Pending.Count - 1; i >= 0; i--)
        {
            var pending = State.Pending[i];
            var still = pending.AwaitingConsumers.Intersect(_consumers.ConsumersOf(pending.Event.Namespace));
            if (still.Count == pending.AwaitingConsumers.Count)
            {
                continue;
            }

            changed = true;
            if (still.IsEmpty)
            {
                State.Pending.RemoveAt(i);
            }
            else
            {
                State.Pending[i] = pending with { AwaitingConsumers = still };
            }
        }

        return changed;
    }

    /// <summary>
    /// Marks the lifecycle reminder as no longer needed (stored with the next write); the caller removes it after
    /// that write. The other order could leave state saying "registered" with no reminder behind it; this order
    /// at worst leaves a reminder whose next tick finds nothing to do and removes itself.
    /// </summary>
    private bool MarkTicksIdle()
    {
        if (!State.TickRegistered || (!Log.IsEmpty && NeedsTicks(Current())))
        {
            return false;
        }

        State.TickRegistered = false;
        return true;
    }

    private async Task UnregisterTickAsync()
    {
        try
        {
            if ((_tick ?? await this.GetReminder(TickReminder)) is { } reminder)
            {
                _tick = null;
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Harmless: the next tick finds nothing to do and tries again.
            EventLogMessages.NotStored(_logger, ex, Key, "Reminder removal");
        }
    }

    private async Task PublishAsync(IReadOnlyCollection<PendingEmission> emissions)
    {
        if (emissions.Count == 0)
        {
            return;
        }

        var provider = this.GetStreamProvider(Names.StreamProvider);
        foreach (var emission in emissions)
        {
            try
            {
                var stream = provider.GetStream<LifecycleEvent>(StreamId.Create(emission.Event.Namespace, Key));
                await stream.OnNextAsync(emission.Event);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Stored as pending: the lifecycle reminder republishes it.
                EventLogMessages.PublishFailed(_logger, ex, Key, emission.Event.Namespace);
            }
        }
    }

    private T? IfRecorded<T>(Func<T> read)
        where T : class
    {
        if (Log.IsEmpty)
        {
            // A query never creates state, and an unknown id should not keep an activation alive either.
            DeactivateOnIdle();
            return null;
        }

        return read();
    }
}
