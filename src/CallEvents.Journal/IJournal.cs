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

    /// <summary>
    /// Erasure: replaces every record of <paramref name="stream"/> (up to <paramref name="lastSequence"/>) by one record,
    /// <paramref name="tombstone"/>, at <paramref name="lastSequence"/> + 1, and removes the stream's entity-index row and
    /// due time, all in one commit. Throws <see cref="JournalConflictException"/> when the stream has moved past
    /// <paramref name="lastSequence"/>.
    /// </summary>
    Task EraseAsync(string stream, int lastSequence, byte[] tombstone, CancellationToken cancellationToken = default);

    /// <summary>A page of the entity index, newest first (by first arrival), filtered; never a scan of grains.</summary>
    Task<EntityPage> SearchAsync(EntityQuery query, CancellationToken cancellationToken = default);

    /// <summary>Streams of finished entities that first arrived before <paramref name="cutoff"/> (retention), oldest first.</summary>
    Task<IReadOnlyList<string>> FinishedBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every record, payload included, of the calls and workflow executions that first arrived in the query's range (and
    /// belong to its organization, when set), entity by entity in arrival order, each entity's records in order.
    /// </summary>
    IAsyncEnumerable<ExportedRecord> ExportAsync(ExportQuery query, CancellationToken cancellationToken = default);
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

/// <summary>A search of the entity index (calls or workflow executions); every filter that is set must match.</summary>
public sealed record EntityQuery
{
    /// <summary><see cref="JournalStreams.CallKind"/> or <see cref="JournalStreams.WorkflowKind"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The provider.</summary>
    public string? Source { get; init; }

    /// <summary>The status name.</summary>
    public string? Status { get; init; }

    /// <summary>The outcome name (calls).</summary>
    public string? Outcome { get; init; }

    /// <summary>Stalled (true) or not (false).</summary>
    public bool? Stalled { get; init; }

    /// <summary>An anomaly code the entity must carry.</summary>
    public string? Anomaly { get; init; }

    /// <summary>The organization (tenant).</summary>
    public string? OrganizationId { get; init; }

    /// <summary>First arrival at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>First arrival before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>The most items in the page.</summary>
    public int Limit { get; init; } = 50;

    /// <summary>Continue after this item (the previous page's <see cref="EntityPage.Next"/>).</summary>
    public EntityCursor? After { get; init; }
}

/// <summary>A position in the newest-first order: first arrival, then stream, both descending.</summary>
/// <param name="FirstReceivedAt">The last item's first arrival.</param>
/// <param name="Stream">The last item's stream.</param>
public readonly record struct EntityCursor(DateTimeOffset FirstReceivedAt, string Stream);

/// <summary>A page of the entity index.</summary>
/// <param name="Items">The entities, newest first, with their streams.</param>
/// <param name="Next">Where the next page starts; null on the last page.</param>
public sealed record EntityPage(IReadOnlyList<(string Stream, EntityIndexRow Row)> Items, EntityCursor? Next);

/// <summary>What to export: entities whose first arrival is in [<see cref="Since"/>, <see cref="Until"/>).</summary>
public sealed record ExportQuery
{
    /// <summary>First arrival at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>First arrival before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Only this organization's entities, when set.</summary>
    public string? OrganizationId { get; init; }
}

/// <summary>One exported record.</summary>
/// <param name="Stream">Its stream.</param>
/// <param name="Row">The stream's entity-index row.</param>
/// <param name="Record">The record, payload included.</param>
public sealed record ExportedRecord(string Stream, EntityIndexRow Row, JournalRecord Record);
