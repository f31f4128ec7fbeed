using System.Collections.Immutable;

namespace CallEvents.Lifecycle;

/// <summary>
/// One journal record of a call or workflow execution: what one step changed (an accepted event, a duplicate counted,
/// emissions staged, confirmations received, the stall flag set or cleared). The grain's state is the fold of its
/// records (<see cref="EntityState.Apply"/>); nothing already written is ever rewritten.
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.EntityEntry")]
public sealed record EntityEntry
{
    /// <summary>A newly accepted event (its raw body is stored beside the record, unless it was past the caps).</summary>
    [Id(0)] public StoredEvent? Accepted { get; init; }

    /// <summary>A duplicate delivery was counted.</summary>
    [Id(1)] public bool Duplicate { get; init; }

    /// <summary>Which accepted event the duplicate repeated (its dedup key), so histories can mark it.</summary>
    [Id(6)] public DedupKey? DuplicateOf { get; init; }

    /// <summary>Emissions staged in the same record as the change that caused them (the outbox).</summary>
    [Id(2)] public ImmutableArray<PendingEmission> Emitted { get; init; } = [];

    /// <summary>Consumers that confirmed an emission (or were dropped from the deployment).</summary>
    [Id(3)] public ImmutableArray<EmissionConfirmation> Confirmed { get; init; } = [];

    /// <summary>The stall flag changed: set to <see cref="StallChange.Flag"/>, or cleared when that is null.</summary>
    [Id(4)] public StallChange? Stall { get; init; }

    /// <summary>The entity was erased: this record replaced all others and keeps only what erasure must not forget.</summary>
    [Id(5)] public Erasure? Erased { get; init; }
}

/// <summary>
/// What an erased entity keeps: the dedup keys (a redelivery of an erased event is a duplicate, not a new call) and the
/// organizations it belonged to (another tenant may not take over its id). No payload, no personal data.
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.Erasure")]
public sealed record Erasure(
    [property: Id(0)] ImmutableArray<DedupKey> DedupKeys,
    [property: Id(1)] ImmutableArray<string> Organizations,
    [property: Id(2)] DateTimeOffset ErasedAt);

/// <summary>An accepted event as stored: normalized fields (raw body removed), and how it was taken in.</summary>
/// <param name="Event">The event with an empty <see cref="IncomingEvent.RawPayload"/>.</param>
/// <param name="Late">It arrived after a higher phase had been seen (rule 1).</param>
/// <param name="PayloadKept">Whether its raw body was stored (false past the caps).</param>
/// <param name="PayloadBytes">The raw body's size.</param>
[GenerateSerializer, Immutable, Alias("callevents.StoredEvent")]
public sealed record StoredEvent(
    [property: Id(0)] IncomingEvent Event,
    [property: Id(1)] bool Late,
    [property: Id(2)] bool PayloadKept,
    [property: Id(3)] int PayloadBytes);

/// <summary>A consumer confirmed an emission (or no longer exists in the deployment).</summary>
[GenerateSerializer, Immutable, Alias("callevents.EmissionConfirmation")]
public sealed record EmissionConfirmation([property: Id(0)] Guid EmissionId, [property: Id(1)] string Consumer);

/// <summary>The stall flag set to <see cref="Flag"/>, or cleared when it is null.</summary>
[GenerateSerializer, Immutable, Alias("callevents.StallChange")]
public sealed record StallChange([property: Id(0)] StallInfo? Flag);
