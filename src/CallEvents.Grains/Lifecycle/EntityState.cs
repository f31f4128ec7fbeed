using System.Collections.Immutable;

namespace CallEvents.Lifecycle;

/// <summary>
/// The state of a call or workflow execution: the fold of its journal records. Immutable, so the grain computes the
/// state a record would lead to, writes the record, and only then adopts that state: a failed write leaves nothing to
/// roll back.
/// </summary>
internal sealed record EntityState
{
    public static EntityState Empty { get; } = new();

    /// <summary>The number of the last record folded in (0 for none).</summary>
    public int Sequence { get; init; }

    /// <summary>Accepted events, normalized, in arrival order: what the reconcilers read.</summary>
    public ImmutableList<IncomingEvent> Events { get; init; } = [];

    /// <summary>For each accepted event (same index): how it was stored, and its record's number.</summary>
    public ImmutableList<(StoredEvent Stored, int Sequence)> History { get; init; } = [];

    /// <summary>The dedup keys of every accepted event: a grain remembers them all, with no time window.</summary>
    public ImmutableHashSet<DedupKey> Seen { get; init; } = [];

    /// <summary>Organizations named by accepted events.</summary>
    public ImmutableHashSet<string> Organizations { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    public int Duplicates { get; init; }

    /// <summary>Duplicate deliveries per accepted event, by dedup key (for history marks).</summary>
    public ImmutableDictionary<DedupKey, int> DuplicatesOf { get; init; } = ImmutableDictionary<DedupKey, int>.Empty;

    /// <summary>Emissions not yet confirmed by every consumer they await.</summary>
    public ImmutableList<PendingEmission> Pending { get; init; } = [];

    /// <summary>Markers of everything ever emitted: each emission happens once.</summary>
    public ImmutableHashSet<string> Emitted { get; init; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    public StallInfo? Stalled { get; init; }

    /// <summary>Capped events (unrecognized, repetitive) kept with their payload, and those payloads' bytes.</summary>
    public int CappedKept { get; init; }

    public long CappedBytesKept { get; init; }

    /// <summary>Capped events past the caps: counted, payload not kept.</summary>
    public int TruncatedEvents { get; init; }

    public long TruncatedBytes { get; init; }

    public bool IsEmpty => Events.IsEmpty;

    public TruncationInfo? Truncation => TruncatedEvents == 0 ? null : new TruncationInfo(TruncatedEvents, TruncatedBytes);

    /// <summary>The marker that makes an emission happen once: its namespace, plus the reason for stalls.</summary>
    public static string MarkerOf(LifecycleEvent emission)
    {
        ArgumentNullException.ThrowIfNull(emission);
        return emission is CallStalledEvent stalled ? $"{emission.Namespace}:{stalled.Reason}" : emission.Namespace;
    }

    /// <summary>Whether an event type counts against the caps (unrecognized and repetitive events do; lifecycle events never).</summary>
    public static bool IsCapped(NormalizedEventType type) =>
        type is NormalizedEventType.Unknown or NormalizedEventType.WorkflowNodeExecuted;

    /// <summary>The state after record number <paramref name="sequence"/>.</summary>
    public EntityState Apply(EntityEntry entry, int sequence)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Erased is { } erased)
        {
            return Empty with
            {
                Sequence = sequence,
                Seen = [.. erased.DedupKeys],
                Organizations = ImmutableHashSet.CreateRange(StringComparer.Ordinal, erased.Organizations),
            };
        }

        var next = this with { Sequence = sequence };
        if (entry.Accepted is { } accepted)
        {
            var e = accepted.Event;
            next = next with
            {
                Events = next.Events.Add(e),
                History = next.History.Add((accepted, sequence)),
                Seen = next.Seen.Add(e.DedupKey),
                Organizations = e.OrganizationId is { } organization ? next.Organizations.Add(organization) : next.Organizations,
            };
            if (IsCapped(e.Type))
            {
                next = accepted.PayloadKept
                    ? next with { CappedKept = next.CappedKept + 1, CappedBytesKept = next.CappedBytesKept + accepted.PayloadBytes }
                    : next with { TruncatedEvents = next.TruncatedEvents + 1, TruncatedBytes = next.TruncatedBytes + accepted.PayloadBytes };
            }
        }

        if (entry.Duplicate)
        {
            next = next with
            {
                Duplicates = next.Duplicates + 1,
                DuplicatesOf = entry.DuplicateOf is { } of ? next.DuplicatesOf.SetItem(of, next.DuplicatesOf.GetValueOrDefault(of) + 1) : next.DuplicatesOf,
            };
        }

        if (!entry.Emitted.IsDefaultOrEmpty)
        {
            next = next with
            {
                Emitted = next.Emitted.Union(entry.Emitted.Select(p => MarkerOf(p.Event))),
                Pending = next.Pending.AddRange(entry.Emitted.Where(p => !p.AwaitingConsumers.IsEmpty)),
            };
        }

        if (!entry.Confirmed.IsDefaultOrEmpty)
        {
            var pending = next.Pending;
            foreach (var confirmation in entry.Confirmed)
            {
                var index = pending.FindIndex(p => p.Event.EmissionId == confirmation.EmissionId);
                if (index < 0)
                {
                    continue;
                }

                var remaining = pending[index].AwaitingConsumers.Remove(confirmation.Consumer);
                pending = remaining.IsEmpty ? pending.RemoveAt(index) : pending.SetItem(index, pending[index] with { AwaitingConsumers = remaining });
            }

            next = next with { Pending = pending };
        }

        if (entry.Stall is { } stall)
        {
            next = next with { Stalled = stall.Flag };
        }

        return next;
    }
}
