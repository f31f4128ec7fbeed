using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace CallEvents.Journal;

/// <summary>
/// The journal of the embedded default: streams, entity index and due times in this process's memory (lost when it
/// stops). Records and payloads are kept as the grains handed them over, never copied; a write completes at once.
/// </summary>
public sealed class MemoryJournal : IJournal
{
    private readonly ConcurrentDictionary<string, Stream> _streams = new(StringComparer.Ordinal);

    // Rows change with every event, their place in the order only with an entity's first one: the order is the only
    // thing behind a lock, so concurrent writers of different entities do not queue on each other.
    private readonly ConcurrentDictionary<string, EntityIndexRow> _index = new(StringComparer.Ordinal);
    private readonly Lock _orderGate = new();
    private readonly Dictionary<string, SortedSet<EntityCursor>> _newestFirst = new(StringComparer.Ordinal);

    // Due times change with few writes and are read by a sweep once per period: a scan there costs less than keeping
    // them sorted under a lock on every write.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);

    /// <summary>Every stream that holds a record.</summary>
    public IEnumerable<string> StreamNames => _streams.Keys;

    /// <summary>The entity-index row of a stream, if it has one (for tests and diagnostics).</summary>
    public EntityIndexRow? IndexOf(string stream) => _index.GetValueOrDefault(stream);

    /// <inheritdoc/>
    public Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, CancellationToken cancellationToken = default)
    {
        if (!_streams.TryGetValue(stream, out var rows))
        {
            return Task.FromResult<IReadOnlyList<JournalRecord>>([]);
        }

        lock (rows.Gate)
        {
            return Task.FromResult<IReadOnlyList<JournalRecord>>([.. rows.Records.Select(r => r with { Payload = null })]);
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<JournalRecord>> ReadWithPayloadsAsync(string stream, IReadOnlyList<int> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (!_streams.TryGetValue(stream, out var rows))
        {
            return Task.FromResult<IReadOnlyList<JournalRecord>>([]);
        }

        lock (rows.Gate)
        {
            return Task.FromResult<IReadOnlyList<JournalRecord>>([.. sequences.Select(rows.Find).OfType<JournalRecord>()]);
        }
    }

    /// <inheritdoc/>
    public Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (write.Data is null && !_streams.ContainsKey(write.Stream))
        {
            // A due-time change for a stream without records (a wake of an entity that never existed).
            if (write.Sequence == 0 && write.Due is { } cleared)
            {
                SetDue(write.Stream, cleared.At);
            }

            return Task.CompletedTask;
        }

        var rows = _streams.GetOrAdd(write.Stream, _ => new Stream());
        lock (rows.Gate)
        {
            if (write.Data is null)
            {
                if (rows.Last != write.Sequence)
                {
                    // A stale view of the stream: its due time is not this writer's to move.
                    return Task.CompletedTask;
                }
            }
            else
            {
                if (write.Sequence != rows.Last + 1)
                {
                    throw new JournalConflictException($"Record {write.Sequence} of {write.Stream} is already written.");
                }

                rows.Records.Add(new JournalRecord(write.Sequence, write.Data, write.Payload));
                if (write.Index is { } index)
                {
                    SetIndex(write.Stream, index);
                }
            }

            if (write.Due is { } due)
            {
                SetDue(write.Stream, due.At);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task EraseAsync(string stream, int lastSequence, byte[] tombstone, CancellationToken cancellationToken = default)
    {
        var rows = _streams.GetOrAdd(stream, _ => new Stream());
        lock (rows.Gate)
        {
            if (rows.Last != lastSequence)
            {
                throw new JournalConflictException($"{stream} moved past record {lastSequence} before its erasure.");
            }

            rows.Records.Clear();
            rows.Records.Add(new JournalRecord(lastSequence + 1, tombstone));
            SetIndex(stream, null);
            SetDue(stream, null);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default)
    {
        var claimed = new List<string>();
        foreach (var (stream, at) in _due.Where(d => d.Value <= now).OrderBy(d => d.Value).Take(max))
        {
            // Compare-and-set: a stream whose due time moved meanwhile (a write, another sweeper) is not this claim's.
            if (_due.TryUpdate(stream, now + lease, at))
            {
                claimed.Add(stream);
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(claimed);
    }

    /// <inheritdoc/>
    public Task<EntityPage> SearchAsync(EntityQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_orderGate)
        {
            if (!_newestFirst.TryGetValue(query.Kind, out var order) || order.Count == 0)
            {
                return Task.FromResult(new EntityPage([], null));
            }

            // The order is kept sorted, so a page starts at its cursor instead of at the newest entity.
            IEnumerable<EntityCursor> candidates = query.After is { } after
                ? order.GetViewBetween(after, order.Max).Where(c => c != after)
                : order;
            var items = new List<(string, EntityIndexRow)>();
            foreach (var position in candidates)
            {
                if (query.Until is { } until && position.FirstReceivedAt >= until)
                {
                    continue;
                }

                if (query.Since is { } since && position.FirstReceivedAt < since)
                {
                    break;
                }

                if (_index.TryGetValue(position.Stream, out var row) && Matches(row, query))
                {
                    items.Add((position.Stream, row));
                    if (items.Count > query.Limit)
                    {
                        break;
                    }
                }
            }

            EntityCursor? next = null;
            if (items.Count > query.Limit)
            {
                items.RemoveAt(items.Count - 1);
                var (stream, row) = items[^1];
                next = new EntityCursor(row.FirstReceivedAt, stream);
            }

            return Task.FromResult(new EntityPage(items, next));
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> FinishedBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(
            [.. _index.Where(e => e.Value.Finished && e.Value.FirstReceivedAt < cutoff).OrderBy(e => e.Value.FirstReceivedAt).Take(max).Select(e => e.Key)]);

    /// <inheritdoc/>
    public async IAsyncEnumerable<ExportedRecord> ExportAsync(ExportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<(string Stream, EntityIndexRow Row)> entities = [.. _index
            .Where(e => (query.Since is null || e.Value.FirstReceivedAt >= query.Since)
                && (query.Until is null || e.Value.FirstReceivedAt < query.Until)
                && (query.OrganizationId is null || e.Value.OrganizationId == query.OrganizationId))
            .OrderBy(e => e.Value.FirstReceivedAt).ThenBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => (e.Key, e.Value))];

        foreach (var (stream, row) in entities)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_streams.TryGetValue(stream, out var rows))
            {
                continue;
            }

            List<JournalRecord> records;
            lock (rows.Gate)
            {
                records = [.. rows.Records];
            }

            foreach (var record in records)
            {
                yield return new ExportedRecord(stream, row, record);
            }
        }

        await Task.CompletedTask;
    }

    /// <summary>The due time of a stream, if it has one (for tests and diagnostics).</summary>
    public DateTimeOffset? DueOf(string stream) => _due.TryGetValue(stream, out var at) ? at : null;

    private static bool Matches(EntityIndexRow row, EntityQuery query) =>
        (query.Source is null || row.Source == query.Source)
        && (query.Status is null || string.Equals(row.Status, query.Status, StringComparison.OrdinalIgnoreCase))
        && (query.Outcome is null || string.Equals(row.Outcome, query.Outcome, StringComparison.OrdinalIgnoreCase))
        && (query.Stalled is null || (row.Stalled is not null) == query.Stalled)
        && (query.Anomaly is null || row.Anomalies.Contains(query.Anomaly, StringComparer.Ordinal))
        && (query.OrganizationId is null || row.OrganizationId == query.OrganizationId);

    private void SetIndex(string stream, EntityIndexRow? row)
    {
        // Called under the stream's own lock, so one stream's index changes never race each other.
        var old = _index.GetValueOrDefault(stream);
        if (row is not null && old is not null && old.FirstReceivedAt == row.FirstReceivedAt && old.Kind == row.Kind)
        {
            _index[stream] = row;
            return;
        }

        lock (_orderGate)
        {
            if (old is not null)
            {
                _newestFirst[old.Kind].Remove(new EntityCursor(old.FirstReceivedAt, stream));
            }

            if (row is null)
            {
                _index.TryRemove(stream, out _);
                return;
            }

            if (!_newestFirst.TryGetValue(row.Kind, out var order))
            {
                _newestFirst[row.Kind] = order = new SortedSet<EntityCursor>(NewestFirst.Instance);
            }

            order.Add(new EntityCursor(row.FirstReceivedAt, stream));
            _index[stream] = row;
        }
    }

    private void SetDue(string stream, DateTimeOffset? at)
    {
        if (at is { } time)
        {
            _due[stream] = time;
        }
        else
        {
            _due.TryRemove(stream, out _);
        }
    }

    private sealed class Stream
    {
        public Lock Gate { get; } = new();

        public List<JournalRecord> Records { get; } = [];

        /// <summary>The last record's number; an erased stream starts after its tombstone's.</summary>
        public int Last => Records.Count == 0 ? 0 : Records[^1].Sequence;

        public JournalRecord? Find(int sequence)
        {
            var index = Records.Count == 0 ? -1 : sequence - Records[0].Sequence;
            return index >= 0 && index < Records.Count ? Records[index] : null;
        }
    }

    /// <summary>Newest first arrival first; ties by stream, descending (the PostgreSQL index's order).</summary>
    private sealed class NewestFirst : IComparer<EntityCursor>
    {
        public static NewestFirst Instance { get; } = new();

        public int Compare(EntityCursor x, EntityCursor y)
        {
            var byTime = y.FirstReceivedAt.CompareTo(x.FirstReceivedAt);
            return byTime != 0 ? byTime : string.CompareOrdinal(y.Stream, x.Stream);
        }
    }
}
