using System.Runtime.CompilerServices;
using CallEvents.Journal;
using Orleans.Serialization;

namespace CallEvents.Lifecycle;

/// <summary>One stored delivery of an export: which entity, its place among that entity's events, and its raw body.</summary>
/// <param name="Key">The grain key, <c>{source}/{id}</c>.</param>
/// <param name="Kind"><see cref="JournalStreams.CallKind"/> or <see cref="JournalStreams.WorkflowKind"/>.</param>
/// <param name="Sequence">1-based arrival order among the entity's accepted events (as in its history).</param>
/// <param name="Stored">The event as stored.</param>
/// <param name="Payload">Its raw body; null when it was not kept (past the entity's caps).</param>
public sealed record ExportedDelivery(string Key, string Kind, int Sequence, StoredEvent Stored, ReadOnlyMemory<byte>? Payload);

/// <summary>Reads the stored deliveries of an export straight from the journal (no grain is activated).</summary>
public static class EntityExport
{
    /// <summary>The deliveries of the entities the query selects, entity by entity, each in arrival order.</summary>
    public static async IAsyncEnumerable<ExportedDelivery> DeliveriesAsync(
        IJournal journal, Serializer serializer, ExportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(serializer);
        string? stream = null;
        var sequence = 0;
        await foreach (var exported in journal.ExportAsync(query, cancellationToken))
        {
            if (exported.Stream != stream)
            {
                stream = exported.Stream;
                sequence = 0;
            }

            var entry = serializer.Deserialize<EntityEntry>(exported.Record.Data);
            if (entry?.Erased is not null)
            {
                // Events after an erasure start a new history.
                sequence = 0;
            }

            if (entry?.Accepted is not { } accepted)
            {
                continue;
            }

            sequence++;
            yield return new ExportedDelivery(JournalStreams.Split(exported.Stream).Key, exported.Row.Kind, sequence, accepted, exported.Record.Payload);
        }
    }
}
