using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace CallEvents.Journal;

/// <summary>
/// A grain's state kept in its journal stream: read back and folded on first use, advanced one record per step, and
/// held in memory only as far as the journal confirmed it. After a failed write (a conflict with another activation,
/// or storage trouble that may or may not have committed) the state is forgotten and read again before the next step,
/// so memory never runs ahead of storage.
/// </summary>
/// <typeparam name="TState">The folded state (immutable: a failed write leaves nothing to roll back).</typeparam>
/// <typeparam name="TEntry">One record (serialized with the Orleans serializer: give it ids and an alias).</typeparam>
public sealed partial class JournaledState<TState, TEntry>
    where TState : class
    where TEntry : class
{
    private readonly IJournal _journal;
    private readonly Serializer _serializer;
    private readonly TState _empty;
    private readonly Func<TState, TEntry, int, TState> _apply;
    private readonly ILogger _logger;
    private Action<TState?>? _adopted;
    private TState? _state;
    private int _sequence;

    // The due time this activation last stored: an unchanged due time is not written again. Unknown after a load,
    // because a sweeper's claim moves it.
    private DueChange? _storedDue;

    /// <summary>Creates the state of <paramref name="stream"/>.</summary>
    /// <param name="journal">The journal.</param>
    /// <param name="serializer">Serializes records.</param>
    /// <param name="stream">The stream (see <see cref="JournalStreams"/>).</param>
    /// <param name="empty">The state of an empty stream.</param>
    /// <param name="apply">The fold: the state after a record with its sequence number.</param>
    /// <param name="logger">Logs conflicts and failed writes.</param>
    public JournaledState(IJournal journal, Serializer serializer, string stream, TState empty, Func<TState, TEntry, int, TState> apply, ILogger logger)
    {
        _journal = journal;
        _serializer = serializer;
        Stream = stream;
        _empty = empty;
        _apply = apply;
        _logger = logger;
    }

    /// <summary>The stream.</summary>
    public string Stream { get; }

    /// <summary>The state as stored; <see cref="LoadAsync"/> first.</summary>
    public TState State => _state ?? throw new InvalidOperationException($"{Stream} is not loaded.");

    /// <summary>The state, read from the journal when not in memory.</summary>
    public async Task<TState> LoadAsync()
    {
        if (_state is { } loaded)
        {
            return loaded;
        }

        var records = await _journal.ReadAsync(Stream);
        var state = _empty;
        foreach (var record in records)
        {
            var entry = _serializer.Deserialize<TEntry>(record.Data)
                ?? throw new InvalidOperationException($"Record {record.Sequence} of {Stream} is empty.");
            state = _apply(state, entry, record.Sequence);
        }

        _sequence = records.Count == 0 ? 0 : records[^1].Sequence;
        _storedDue = null;
        _state = state;
        _adopted?.Invoke(state);
        return state;
    }

    /// <summary>The state <paramref name="entry"/> leads to, written or not.</summary>
    public TState Preview(TEntry entry) => _apply(State, entry, _sequence + 1);

    /// <summary>
    /// Writes <paramref name="entry"/> (whose outcome <paramref name="next"/> came from <see cref="Preview"/>) with the raw
    /// payload, index row and due time that go with it; adopts <paramref name="next"/> once durable. False when nothing
    /// may be assumed stored.
    /// </summary>
    /// <param name="entry">The record.</param>
    /// <param name="next">The state after it.</param>
    /// <param name="payload">Raw bytes kept beside the record, if any.</param>
    /// <param name="index">The stream's new entity-index row, if it changed.</param>
    /// <param name="due">The stream's due time after this record; null leaves it as it is.</param>
    /// <param name="what">What the record is, for logs.</param>
    public async Task<bool> AppendAsync(TEntry entry, TState next, ReadOnlyMemory<byte>? payload, EntityIndexRow? index, DueChange? due, string what)
    {
        var write = new JournalWrite(Stream, _sequence + 1, _serializer.SerializeToArray(entry), payload, index, due == _storedDue ? null : due);
        if (!await WriteAsync(write, what))
        {
            return false;
        }

        _state = next;
        _sequence++;
        _storedDue = due ?? _storedDue;
        _adopted?.Invoke(next);
        return true;
    }

    /// <summary>
    /// Erasure: replaces every record of the stream by <paramref name="tombstone"/> (whose outcome is
    /// <paramref name="next"/>), and removes the stream's index row and due time. False when nothing may be assumed done.
    /// </summary>
    public async Task<bool> EraseAsync(TEntry tombstone, TState next)
    {
        try
        {
            await _journal.EraseAsync(Stream, _sequence, _serializer.SerializeToArray(tombstone));
        }
        catch (Exception ex) when (ex is JournalConflictException or JournalUnavailableException)
        {
            NotStored(_logger, Stream, "Erasure", ex.Message);
            Forget();
            return false;
        }

        _state = next;
        _sequence++;
        _storedDue = DueChange.Clear;
        _adopted?.Invoke(next);
        return true;
    }

    /// <summary>The number of the last record (0 for an empty stream); <see cref="LoadAsync"/> first.</summary>
    public int Sequence => _sequence;

    /// <summary>Stores a new due time without a record (after a wake that changed nothing); best effort.</summary>
    public async Task SetDueAsync(DateTimeOffset? due)
    {
        var dueChange = new DueChange(due);
        if (await WriteAsync(new JournalWrite(Stream, _sequence, Data: null, Due: dueChange), "Due time"))
        {
            _storedDue = dueChange;
        }
    }

    /// <summary>Records with their payloads (for histories).</summary>
    public Task<IReadOnlyList<JournalRecord>> ReadWithPayloadsAsync(IReadOnlyList<int> sequences) =>
        _journal.ReadWithPayloadsAsync(Stream, sequences);

    /// <summary>Forgets the state, so that the next step reads the stream again.</summary>
    public void Forget()
    {
        _state = null;
        _storedDue = null;
        _adopted?.Invoke(null);
    }

    /// <summary>
    /// Calls <paramref name="adopted"/> whenever this activation adopts a state (loaded, appended, erased) or forgets it
    /// (null): for gauges that summarize the states held in memory.
    /// </summary>
    /// <param name="adopted">The observer; it must be cheap and must not throw.</param>
    public void OnAdopted(Action<TState?> adopted) => _adopted = adopted;

    private async Task<bool> WriteAsync(JournalWrite write, string what)
    {
        try
        {
            await _journal.WriteAsync(write);
            return true;
        }
        catch (JournalConflictException)
        {
            // Another activation wrote this stream (a split brain after a silo failure): read its truth before going on.
            Conflict(_logger, Stream, what);
            Forget();
            return false;
        }
        catch (JournalUnavailableException ex)
        {
            // The journal reports outages once; per grain this is routine.
            NotStored(_logger, Stream, what, ex.Message);
            Forget();
            return false;
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "{What} for {Stream} conflicted with another activation's write; the stream is read again")]
    private static partial void Conflict(ILogger logger, string stream, string what);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "{What} for {Stream} was not stored: {Reason}")]
    private static partial void NotStored(ILogger logger, string stream, string what, string reason);
}
