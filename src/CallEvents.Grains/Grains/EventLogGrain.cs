using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Grains;

/// <summary>
/// What call and workflow-execution grains share: deduplicate a delivery, enforce the event limit, mark late
/// events, append durably, and serve the cached reconciled snapshot. The concrete grain supplies the rules.
/// </summary>
/// <typeparam name="TSnapshot">The reconciled snapshot type.</typeparam>
public abstract class EventLogGrain<TSnapshot> : Grain
    where TSnapshot : class
{
    private readonly IOptions<ProcessingOptions> _options;
    private readonly ILogger _logger;
    private TSnapshot? _snapshot;

    /// <summary>Creates the grain over its persisted event log.</summary>
    protected EventLogGrain(IPersistentState<EventLogState> state, IOptions<ProcessingOptions> options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        Log = new EventLog(state, logger, this.GetPrimaryKeyString()) { Deactivate = DeactivateOnIdle };
    }

    internal EventLog Log { get; }

    /// <summary>The entity kind this grain holds.</summary>
    protected abstract EntityKind Kind { get; }

    /// <summary>The grain key an event belongs to.</summary>
    protected abstract string KeyOf(IncomingEvent incoming);

    /// <summary>The phase rank an event sets (0 for none).</summary>
    protected abstract int RankOf(IncomingEvent incoming);

    /// <summary>The rank of the snapshot's current status.</summary>
    protected abstract int StatusRankOf(TSnapshot snapshot);

    /// <summary>The pure reconciliation of the accepted events.</summary>
    protected abstract TSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount);

    /// <summary>Deduplicates, applies and durably stores one delivery.</summary>
    protected async Task<IngestResult> IngestCoreAsync(IncomingEvent incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var key = this.GetPrimaryKeyString();
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
        if (!await Log.AppendAsync(incoming, late))
        {
            return new IngestResult(IngestStatus.NotStored, Log.Count, "the event could not be stored");
        }

        _snapshot = null;
        return new IngestResult(
            incoming.Type == NormalizedEventType.Unknown ? IngestStatus.Unrecognized : IngestStatus.Accepted,
            Log.Count);
    }

    /// <summary>The snapshot, or null (and no lingering activation) when nothing was ever accepted.</summary>
    protected Task<TSnapshot?> GetSnapshotCoreAsync() => Task.FromResult(IfRecorded(Current));

    /// <summary>The history, or null when nothing was ever accepted.</summary>
    protected Task<EventHistory?> GetEventsCoreAsync() => Task.FromResult(IfRecorded(Log.History));

    /// <summary>The current snapshot, reconciled once per change.</summary>
    protected TSnapshot Current() =>
        _snapshot ??= Reconcile(this.GetPrimaryKeyString(), [.. Log.Events], Log.DuplicateCount);

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
