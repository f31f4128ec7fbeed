using System.Collections.Concurrent;

namespace CallEvents.Journal;

/// <summary>
/// The journal of the embedded default: streams, entity index and due times in this process's memory (lost when it
/// stops). Records and payloads are kept as the grains handed them over, never copied; a write completes at once.
/// </summary>
public sealed class MemoryJournal : IJournal
{
    private readonly ConcurrentDictionary<string, Stream> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EntityIndexRow> _index = new(StringComparer.Ordinal);
    private readonly Lock _dueGate = new();
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly SortedSet<(DateTimeOffset At, string Stream)> _dueByTime = [];

    /// <summary>The entity index (call and workflow-execution summaries), keyed by stream.</summary>
    public IReadOnlyDictionary<string, EntityIndexRow> Index => _index;

    /// <summary>Every stream that holds a record.</summary>
    public IEnumerable<string> StreamNames => _streams.Keys;

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
            // Sequence n is at index n - 1: streams are dense from 1.
            return Task.FromResult<IReadOnlyList<JournalRecord>>(
                [.. sequences.Where(s => s >= 1 && s <= rows.Records.Count).Select(s => rows.Records[s - 1])]);
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
                if (rows.Records.Count != write.Sequence)
                {
                    // A stale view of the stream: its due time is not this writer's to move.
                    return Task.CompletedTask;
                }
            }
            else
            {
                if (write.Sequence != rows.Records.Count + 1)
                {
                    throw new JournalConflictException($"Record {write.Sequence} of {write.Stream} is already written.");
                }

                rows.Records.Add(new JournalRecord(write.Sequence, write.Data, write.Payload));
                if (write.Index is { } index)
                {
                    _index[write.Stream] = index;
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
    public Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default)
    {
        lock (_dueGate)
        {
            var claimed = _dueByTime.TakeWhile(d => d.At <= now).Take(max).Select(d => d.Stream).ToList();
            foreach (var stream in claimed)
            {
                SetDue(stream, now + lease);
            }

            return Task.FromResult<IReadOnlyList<string>>(claimed);
        }
    }

    /// <summary>The due time of a stream, if it has one (for tests and diagnostics).</summary>
    public DateTimeOffset? DueOf(string stream)
    {
        lock (_dueGate)
        {
            return _due.TryGetValue(stream, out var at) ? at : null;
        }
    }

    private void SetDue(string stream, DateTimeOffset? at)
    {
        lock (_dueGate)
        {
            if (_due.Remove(stream, out var old))
            {
                _dueByTime.Remove((old, stream));
            }

            if (at is { } time)
            {
                _due[stream] = time;
                _dueByTime.Add((time, stream));
            }
        }
    }

    private sealed class Stream
    {
        public Lock Gate { get; } = new();

        public List<JournalRecord> Records { get; } = [];
    }
}
