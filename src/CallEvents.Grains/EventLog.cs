using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace CallEvents;

/// <summary>
/// Persisted state of a call or workflow-execution grain: the accepted events (raw payloads stored once, inside
/// them), the duplicate counter, and the emission outbox. Snapshots are derived from the events.
/// </summary>
[GenerateSerializer, Alias("callevents.EventLogState")]
public sealed class EventLogState
{
    /// <summary>Accepted events in arrival order.</summary>
    [Id(0)] public List<StoredEvent> Events { get; set; } = [];

    /// <summary>Deliveries dropped as duplicates.</summary>
    [Id(1)] public int DuplicateCount { get; set; }

    /// <summary>Emissions stored with the state change that caused them, until every consumer confirmed.</summary>
    [Id(2)] public List<PendingEmission> Pending { get; set; } = [];

    /// <summary>What was already emitted (namespace, plus the stall reason for stalls): each is emitted once.</summary>
    [Id(3)] public HashSet<string> Emitted { get; set; } = [];

    /// <summary>The stall flag (calls only).</summary>
    [Id(4)] public StallInfo? Stalled { get; set; }

    /// <summary>Whether the lifecycle reminder (watchdog and republishing) is registered.</summary>
    [Id(5)] public bool TickRegistered { get; set; }
}

/// <summary>An accepted event and whether it arrived after a higher phase had been seen.</summary>
[GenerateSerializer, Immutable, Alias("callevents.StoredEvent")]
public sealed record StoredEvent([property: Id(0)] IncomingEvent Event, [property: Id(1)] bool Late);

/// <summary>
/// Deduplication and durable writes over a grain's <see cref="EventLogState"/>. Changes are staged in memory,
/// written once, and rolled back when the write fails: a retry of the same delivery is then applied again
/// instead of being mistaken for a duplicate, and no emission is announced for a change that was not stored.
/// </summary>
internal sealed class EventLog(IPersistentState<EventLogState> storage, ILogger logger, string grainKey)
{
    // Derived from the stored events on first use; never persisted, so state holds one copy of each key.
    private HashSet<DedupKey>? _seen;
    private List<IncomingEvent>? _events;

    public EventLogState State => storage.State;

    public bool IsEmpty => storage.State.Events.Count == 0;

    public int Count => storage.State.Events.Count;

    public IReadOnlyList<IncomingEvent> Events => _events ??= [.. storage.State.Events.Select(s => s.Event)];

    /// <summary>Set by the owning grain: how to get itself deactivated.</summary>
    public Action? Deactivate { get; init; }

    public EventHistory History() => new(
        grainKey,
        [.. storage.State.Events.Select((s, i) => new EventRecord
        {
            Sequence = i + 1,
            EventName = s.Event.EventName,
            Type = s.Event.Type,
            ProviderTime = s.Event.ProviderTime,
            ReceivedAt = s.Event.ReceivedAt,
            Late = s.Late,
            DedupKey = s.Event.DedupKey.ToString(),
            RawPayload = s.Event.RawPayload,
        })]);

    public bool Contains(DedupKey key)
    {
        _seen ??= [.. storage.State.Events.Select(s => s.Event.DedupKey)];
        return _seen.Contains(key);
    }

    /// <summary>Counts a duplicate. The event itself is already stored, so a failed counter write does not fail the delivery.</summary>
    public async Task RecordDuplicateAsync()
    {
        storage.State.DuplicateCount++;
        try
        {
            await storage.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The count stays in memory and is written with the next successful write.
            EventLogMessages.DuplicateCountNotStored(logger, ex, grainKey);
            ForgetStaleEtag(ex);
        }
    }

    /// <summary>Stages a new event in memory; <see cref="CommitAsync"/> writes it.</summary>
    public void Stage(IncomingEvent incoming, bool late)
    {
        storage.State.Events.Add(new StoredEvent(incoming, late));
        _seen?.Add(incoming.DedupKey);
        _events?.Add(incoming);
    }

    /// <summary>What to roll back to if the next write fails.</summary>
    public Checkpoint Mark()
    {
        var s = storage.State;
        return new Checkpoint(s.Events.Count, s.DuplicateCount, [.. s.Pending], [.. s.Emitted], s.Stalled, s.TickRegistered);
    }

    /// <summary>Writes the staged state; on failure restores <paramref name="rollbackTo"/> and returns false.</summary>
    public async Task<bool> CommitAsync(Checkpoint rollbackTo, string what)
    {
        try
        {
            await storage.WriteStateAsync();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Restore(rollbackTo);
            EventLogMessages.NotStored(logger, ex, grainKey, what);
            ForgetStaleEtag(ex);
            return false;
        }
    }

    public void Restore(Checkpoint checkpoint)
    {
        var s = storage.State;
        if (s.Events.Count > checkpoint.EventCount)
        {
            s.Events.RemoveRange(checkpoint.EventCount, s.Events.Count - checkpoint.EventCount);
            _seen = null;
            _events = null;
        }

        s.DuplicateCount = checkpoint.DuplicateCount;
        s.Pending = [.. checkpoint.Pending];
        s.Emitted = [.. checkpoint.Emitted];
        s.Stalled = checkpoint.Stalled;
        s.TickRegistered = checkpoint.TickRegistered;
    }

    private void ForgetStaleEtag(Exception ex)
    {
        // An etag conflict (another activation wrote, or our own write committed but its answer was lost)
        // means memory no longer matches storage: drop this activation so the next call reloads the truth.
        if (ex is InconsistentStateException)
        {
            Deactivate?.Invoke();
        }
    }

    /// <summary>The parts of the state a failed write must not leave changed.</summary>
    internal sealed record Checkpoint(
        int EventCount,
        int DuplicateCount,
        List<PendingEmission> Pending,
        HashSet<string> Emitted,
        StallInfo? Stalled,
        bool TickRegistered);
}

internal static partial class EventLogMessages
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "{What} for {GrainKey} was not stored")]
    public static partial void NotStored(ILogger logger, Exception exception, string grainKey, string what);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Duplicate counter for {GrainKey} not stored yet; it will be written with the next event")]
    public static partial void DuplicateCountNotStored(ILogger logger, Exception exception, string grainKey);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "{GrainKey} holds the maximum of {MaxEvents} events; event {EventName} refused")]
    public static partial void EventLimitReached(ILogger logger, string grainKey, int maxEvents, string eventName);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Lifecycle reminder for {GrainKey} could not be registered; event {EventName} not stored")]
    public static partial void ReminderNotRegistered(ILogger logger, Exception exception, string grainKey, string eventName);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Publishing {Namespace} for {GrainKey} failed; it stays pending and is republished by the lifecycle reminder")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string grainKey, string @namespace);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "{GrainKey} emitted {Namespace} (emission {EmissionId}) awaiting {ConsumerCount} consumer(s)")]
    public static partial void Emitted(ILogger logger, string grainKey, string @namespace, Guid emissionId, int consumerCount);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Call {GrainKey} stalled: {Reason} since {WaitingSince}")]
    public static partial void Stalled(ILogger logger, string grainKey, StallReason reason, DateTimeOffset waitingSince);
}
