namespace CallEvents.Journal;

/// <summary>
/// Append-only storage for grain state: each grain owns one stream of records numbered 1, 2, 3, … and rebuilds its
/// state by reading them back. A record is written once and never rewritten. Writes carry, in the same commit, the
/// stream's row in the entity index (what searches read) and its due time (when a sweeper must wake the grain).
/// </summary>
/// <remarks>
/// Implementations: <see cref="MemoryJournal"/> (the embedded default) and the PostgreSQL journal, which group-commits
/// the writes of every grain of a silo. Failures surface as <see cref="JournalConflictException"/> (the sequence number
/// is taken: another activation wrote first) or <see cref="JournalUnavailableException"/> (storage trouble; the write
/// may or may not have committed), both serializable across silos.
/// </remarks>
public interface IJournal
{
    /// <summary>Every record of <paramref name="stream"/> in sequence order, without payloads.</summary>
    Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, CancellationToken cancellationToken = default);

    /// <summary>The records with the given sequence numbers, payloads included (for histories and exports).</summary>
    Task<IReadOnlyList<JournalRecord>> ReadWithPayloadsAsync(string stream, IReadOnlyList<int> sequences, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends one record (or, with <see cref="JournalWrite.Data"/> null, changes only the due time) and completes once it
    /// is durable. Throws <see cref="JournalConflictException"/> when the sequence number is already taken.
    /// </summary>
    Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="max"/> streams whose due time is at or before <paramref name="now"/>, moving each due
    /// time to <paramref name="now"/> + <paramref name="lease"/> so that a wake that never completes is retried, and
    /// concurrent sweepers never claim the same stream.
    /// </summary>
    Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default);
}

/// <summary>One stored record: its sequence number, its serialized content, and the raw payload kept with it, if any.</summary>
/// <param name="Sequence">1-based position in its stream.</param>
/// <param name="Data">The serialized record.</param>
/// <param name="Payload">The raw bytes stored beside it (a delivery's body); null when none or when not read.</param>
public sealed record JournalRecord(int Sequence, ReadOnlyMemory<byte> Data, ReadOnlyMemory<byte>? Payload = null);

/// <summary>
/// One write to a stream: a record at <see cref="Sequence"/> with what must change in the same commit. With
/// <see cref="Data"/> null it is a due-time change only, applied when the stream's last record is still
/// <see cref="Sequence"/> (a stale activation cannot move the due time of a stream it no longer knows).
/// </summary>
/// <param name="Stream">The stream (see <see cref="JournalStreams"/>).</param>
/// <param name="Sequence">The new record's number (last + 1), or the last number for a due-only change.</param>
/// <param name="Data">The serialized record; null for a due-only change.</param>
/// <param name="Payload">Raw bytes kept with the record (a delivery's body), if any.</param>
/// <param name="Index">The stream's new row in the entity index, if it changed.</param>
/// <param name="Due">The stream's new due time (<see cref="DueChange.Clear"/> to remove it), or null to leave it.</param>
public sealed record JournalWrite(
    string Stream,
    int Sequence,
    byte[]? Data,
    ReadOnlyMemory<byte>? Payload = null,
    EntityIndexRow? Index = null,
    DueChange? Due = null);

/// <summary>A change of a stream's due time: a new time, or <see cref="At"/> null to clear it.</summary>
/// <param name="At">When the stream's grain must be woken; null for never.</param>
public readonly record struct DueChange(DateTimeOffset? At)
{
    /// <summary>No wake needed any more.</summary>
    public static DueChange Clear => new(null);
}

/// <summary>
/// The searchable summary of a call or workflow execution, kept in the same commit as the record that changed it, so
/// searches never scan grains.
/// </summary>
public sealed record EntityIndexRow
{
    /// <summary><see cref="JournalStreams.CallKind"/> or <see cref="JournalStreams.WorkflowKind"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The provider.</summary>
    public required string Source { get; init; }

    /// <summary>The provider's call or execution id.</summary>
    public required string EntityId { get; init; }

    /// <summary>The snapshot's status name.</summary>
    public required string Status { get; init; }

    /// <summary>The call's outcome name; null for workflow executions.</summary>
    public string? Outcome { get; init; }

    /// <summary>The stall reason while stalled; null otherwise.</summary>
    public string? Stalled { get; init; }

    /// <summary>Anomaly codes, sorted.</summary>
    public IReadOnlyList<string> Anomalies { get; init; } = [];

    /// <summary>The organization (tenant), if known.</summary>
    public string? OrganizationId { get; init; }

    /// <summary>When the first event arrived (the order searches list entities in: it never changes).</summary>
    public DateTimeOffset FirstReceivedAt { get; init; }

    /// <summary>When the latest event arrived.</summary>
    public DateTimeOffset LastReceivedAt { get; init; }

    /// <summary>Distinct events accepted.</summary>
    public int EventCount { get; init; }

    /// <summary>Whether the entity reached a final state (nothing more is expected).</summary>
    public bool Finished { get; init; }
}
