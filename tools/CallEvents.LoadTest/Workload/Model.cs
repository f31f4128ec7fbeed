namespace CallEvents.LoadTest.Workload;

/// <summary>
/// One distinct event the generator made for an entity, and what happened to its deliveries. The counters are
/// the generator's own record of the run: verification derives the expected snapshot from them, never from the
/// service's code.
/// </summary>
public sealed class EventModel
{
    private int _sent;
    private int _acknowledged;
    private int _uncertain;

    public required EventKind Kind { get; init; }

    /// <summary>The provider time the body carries, exactly as the adapter will read it back.</summary>
    public required DateTimeOffset ProviderTime { get; init; }

    /// <summary>The failure reason the body carries (SubVerse failures).</summary>
    public string? Reason { get; init; }

    /// <summary>The node a workflow node execution names.</summary>
    public string? NodeName { get; init; }

    /// <summary>Deliveries of this event that were attempted (including retries).</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Deliveries answered 2xx.</summary>
    public int Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Attempts whose outcome is unknown (timeout, 5xx, connection lost): the event may or may not be stored.</summary>
    public int Uncertain => Volatile.Read(ref _uncertain);

    public void RecordSent() => Interlocked.Increment(ref _sent);

    public void RecordAcknowledged() => Interlocked.Increment(ref _acknowledged);

    public void RecordUncertain() => Interlocked.Increment(ref _uncertain);
}

/// <summary>A call or workflow execution the generator created, with its distinct events.</summary>
public sealed class EntityModel
{
    public required EntityType Type { get; init; }

    /// <summary>The provider's call id or execution id.</summary>
    public required string EntityId { get; init; }

    public required IReadOnlyList<EventModel> Events { get; init; }

    public string Source => EventNames.SourceOf(Type);

    public bool IsWorkflow => Type == EntityType.Workflow;

    /// <summary>The grain key, <c>{source}/{id}</c>.</summary>
    public string Key => $"{Source}/{EntityId}";

    /// <summary>True when at least one delivery of any event was attempted.</summary>
    public bool AnySent => Events.Any(e => e.Sent > 0);
}

/// <summary>One HTTP delivery of an event: the exact bytes and headers a provider would send.</summary>
public sealed class Delivery
{
    public required EntityModel Entity { get; init; }

    public required EventModel Event { get; init; }

    public required byte[] Body { get; init; }

    /// <summary>Request headers besides Content-Type.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>A redelivery of bytes already sent once (same traceId / same body hash).</summary>
    public bool IsRedelivery { get; init; }

    /// <summary>A provider-side delay before this delivery is sent.</summary>
    public int DelayMs { get; init; }
}
