using CallEvents.Journal;

namespace CallEvents.TestSupport;

/// <summary>
/// A journal that hands everything to an in-memory one; a test derives from it to change one operation (fail or
/// hold writes) and keeps the rest of the contract real.
/// </summary>
public abstract class DelegatingJournal : IJournal
{
    /// <summary>The journal that stores everything.</summary>
    public MemoryJournal Inner { get; } = new();

    public virtual Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(stream, cancellationToken);

    public virtual Task<IReadOnlyList<JournalRecord>> ReadWithPayloadsAsync(string stream, IReadOnlyList<int> sequences, CancellationToken cancellationToken = default) =>
        Inner.ReadWithPayloadsAsync(stream, sequences, cancellationToken);

    public virtual Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(write, cancellationToken);

    public virtual Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default) =>
        Inner.ClaimDueAsync(now, lease, max, cancellationToken);

    public virtual Task EraseAsync(string stream, int lastSequence, byte[] tombstone, CancellationToken cancellationToken = default) =>
        Inner.EraseAsync(stream, lastSequence, tombstone, cancellationToken);

    public virtual Task<EntityPage> SearchAsync(EntityQuery query, CancellationToken cancellationToken = default) =>
        Inner.SearchAsync(query, cancellationToken);

    public virtual Task<IReadOnlyList<string>> FinishedBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default) =>
        Inner.FinishedBeforeAsync(cutoff, max, cancellationToken);

    public virtual IAsyncEnumerable<ExportedRecord> ExportAsync(ExportQuery query, CancellationToken cancellationToken = default) =>
        Inner.ExportAsync(query, cancellationToken);
}
