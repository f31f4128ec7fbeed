using CallEvents.Journal;

namespace CallEvents.Lifecycle;

/// <summary>The steps of taking in a delivery that call and workflow-execution grains share.</summary>
internal static class EntityIntake
{
    /// <summary>Events are routed by key; one that reaches the wrong grain is a bug, not bad input.</summary>
    public static void EnsureBelongs(IncomingEvent incoming, EntityKind kind, string expectedKey, string key)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        if (incoming.Entity != kind || expectedKey != key)
        {
            throw new ArgumentException($"Event for {incoming.Entity} {incoming.Source}/{incoming.EntityId} sent to grain {key}.", nameof(incoming));
        }
    }

    /// <summary>
    /// A tenant-bound sender may write only entities that name no organization but its own. Checked here, in the
    /// grain, so that two tenants racing on an entity's first event cannot both pass.
    /// </summary>
    public static bool RefusesTenant(EntityState state, IncomingEvent incoming) =>
        incoming.Tenant is { } tenant && state.Organizations.Any(o => !string.Equals(o, tenant, StringComparison.Ordinal));

    /// <summary>
    /// The event as stored. Lifecycle events always keep their payload; unrecognized and repetitive events keep it only
    /// while the entity is under its caps, and past them are counted without it.
    /// </summary>
    public static StoredEvent Store(EntityState state, IncomingEvent incoming, bool late, ProcessingOptions limits)
    {
        var bytes = incoming.RawPayload.Length;
        var keep = !EntityState.IsCapped(incoming.Type)
            || (state.CappedKept < limits.MaxEventsPerEntity && state.CappedBytesKept + bytes <= limits.MaxPayloadBytesPerEntity);
        return new StoredEvent(incoming with { RawPayload = [], Tenant = null }, late, keep, bytes);
    }

    /// <summary>
    /// Counts a duplicate. A duplicate is acknowledged only once it is counted: when the count cannot be stored (storage
    /// trouble, or another activation wrote first) the answer is "not stored", the sender retries, and the retry is
    /// counted, so <c>duplicateCount</c> equals the duplicates acknowledged.
    /// </summary>
    public static async Task<IngestResult> CountDuplicateAsync(JournaledState<EntityState, EntityEntry> log, DedupKey key)
    {
        var entry = new EntityEntry { Duplicate = true, DuplicateOf = key };
        var next = log.Preview(entry);
        return await log.AppendAsync(entry, next, payload: null, index: null, due: null, "Duplicate count")
            ? new IngestResult(IngestStatus.Duplicate, next.Events.Count)
            : new IngestResult(IngestStatus.NotStored, next.Events.Count, "the duplicate could not be counted; retry later");
    }

    public static IngestResult NotStored(EntityState state) =>
        new(IngestStatus.NotStored, state.Events.Count, "the event could not be stored; retry later");

    public static IngestResult Refused(EntityState state) =>
        new(IngestStatus.Refused, state.Events.Count, "the entity belongs to another organization");

    public static IngestResult Answer(IncomingEvent incoming, EntityState next, bool late = false) =>
        new(incoming.Type == NormalizedEventType.Unknown ? IngestStatus.Unrecognized : IngestStatus.Accepted, next.Events.Count, Late: late);

    /// <summary>What to publish after a record: its new emissions and every one still awaiting a confirmation.</summary>
    public static IEnumerable<PendingEmission> ToPublish(EntityState next, EntityEntry entry) =>
        entry.Emitted.Where(e => e.AwaitingConsumers.IsEmpty).Concat(next.Pending);
}
