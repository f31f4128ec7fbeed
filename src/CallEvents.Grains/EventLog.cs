using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace CallEvents;

/// <summary>
/// Persisted state of a call or workflow-execution grain: the accepted events (raw payloads stored once,
/// inside them) and the duplicate counter. Everything else is derived from the events.
/// </summary>
[GenerateSerializer, Alias("callevents.EventLogState")]
public sealed class EventLogState
{
    /// <summary>Accepted events in arrival order.</summary>
    [Id(0)] public List<StoredEvent> Events { get; set; } = [];

    /// <summary>Deliveries dropped as duplicates.</summary>
    [Id(1)] public int DuplicateCount { get; set; }
}

/// <summary>An accepted event and whether it arrived after a higher phase had been seen.</summary>
[GenerateSerializer, Immutable, Alias("callevents.StoredEvent")]
public sealed record StoredEvent([property: Id(0)] IncomingEvent Event, [property: Id(1)] bool Late);

/// <summary>
/// Deduplication and durable append over a grain's <see cref="EventLogState"/>. The in-memory state only
/// changes once the write has committed: a failed write is rolled back here, so a retry of the same delivery
/// is applied again instead of being mistaken for a duplicate.
/// </summary>
internal sealed class EventLog(IPersistentState<EventLogState> storage, ILogger logger, string grainKey)
{
    // Derived from the stored events on first use; never persisted, so state stays one copy of each key.
    private HashSet<DedupKey>? _seen;
    private List<IncomingEvent>? _events;

    public bool IsEmpty => storage.State.Events.Count == 0;

    public int Count => storage.State.Events.Count;

    public int DuplicateCount => storage.State.DuplicateCount;

    public IReadOnlyList<IncomingEvent> Events => _events ??= [.. storage.State.Events.Select(s => s.Event)];

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

    /// <summary>Appends and durably writes one new event; false when the write failed and nothing changed.</summary>
    public async Task<bool> AppendAsync(IncomingEvent incoming, bool late)
    {
        var events = storage.State.Events;
        events.Add(new StoredEvent(incoming, late));
        try
        {
            await storage.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            events.RemoveAt(events.Count - 1);
            EventLogMessages.EventNotStored(logger, ex, grainKey, incoming.EventName);
            ForgetStaleEtag(ex);
            return false;
        }

        _seen?.Add(incoming.DedupKey);
        _events?.Add(incoming);
        return true;
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

    /// <summary>Set by the owning grain: how to get itself deactivated.</summary>
    public Action? Deactivate { get; init; }
}

internal static partial class EventLogMessages
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Event {EventName} for {GrainKey} was not stored; the sender will be asked to retry")]
    public static partial void EventNotStored(ILogger logger, Exception exception, string grainKey, string eventName);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Duplicate counter for {GrainKey} not stored yet; it will be written with the next event")]
    public static partial void DuplicateCountNotStored(ILogger logger, Exception exception, string grainKey);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "{GrainKey} holds the maximum of {MaxEvents} events; event {EventName} refused")]
    public static partial void EventLimitReached(ILogger logger, string grainKey, int maxEvents, string eventName);
}
