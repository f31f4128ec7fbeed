using System.Collections.Immutable;

namespace CallEvents;

/// <summary>
/// A follow-up grain: subscribed (implicitly) to lifecycle streams, keyed like the producing grain. Every
/// follow-up grain, built-in or a user's, implements this so its decisions can be listed and cancelled.
/// </summary>
public interface IFollowUpGrain : IDueGrain
{
    /// <summary>The decisions this follow-up took for the key, with their scheduled actions and attempts; null when none.</summary>
    Task<FollowUpRecord?> GetFollowUpsAsync();

    /// <summary>Cancels a scheduled action that has not run yet; false when unknown or already finished.</summary>
    Task<CancelResult> CancelAsync(string actionId);

    /// <summary>
    /// Runs a failed action (one that used up its attempts) again, with the same id (the <c>Idempotency-Key</c> of HTTP
    /// callbacks) and a fresh set of attempts; earlier attempts stay in its record.
    /// </summary>
    Task<RetryResult> RetryAsync(string actionId);

    /// <summary>
    /// Erases what this follow-up holds for the key (decisions, actions and their payloads); scheduled actions will not
    /// run. Only the ids of emissions already decided stay, so a late republish is not decided again.
    /// </summary>
    Task EraseAsync();
}

/// <summary>The answer to a retry.</summary>
public enum RetryResult
{
    /// <summary>The action is scheduled to run again now.</summary>
    Retrying = 0,

    /// <summary>No such action for this key.</summary>
    NotFound = 1,

    /// <summary>The action has not failed (it is scheduled, succeeded or was cancelled).</summary>
    NotFailed = 2,
}

/// <summary>The answer to a cancellation.</summary>
public enum CancelResult
{
    /// <summary>The action was scheduled and is now cancelled.</summary>
    Cancelled = 0,

    /// <summary>No such action for this key.</summary>
    NotFound = 1,

    /// <summary>The action already ran (or was cancelled before).</summary>
    AlreadyFinished = 2,
}

/// <summary>What one follow-up grain decided and did for one call or workflow execution.</summary>
[GenerateSerializer, Immutable, Alias("callevents.FollowUpRecord")]
public sealed record FollowUpRecord(
    [property: Id(0)] string Key,
    [property: Id(1)] string FollowUp,
    [property: Id(2)] ImmutableArray<FollowUpDecisionRecord> Decisions,
    [property: Id(3)] ImmutableArray<ScheduledActionRecord> Actions);

/// <summary>One decision, taken once per emission.</summary>
[GenerateSerializer, Immutable, Alias("callevents.FollowUpDecisionRecord")]
public sealed record FollowUpDecisionRecord(
    [property: Id(0)] Guid EmissionId,
    [property: Id(1)] string Namespace,
    [property: Id(2)] DateTimeOffset DecidedAt,
    [property: Id(3)] string? ActionId,
    [property: Id(4)] string Summary);

/// <summary>The state of a scheduled action.</summary>
public enum ActionStatus
{
    /// <summary>Waiting for its due time (or for its next try).</summary>
    Scheduled = 0,

    /// <summary>Ran successfully.</summary>
    Succeeded = 1,

    /// <summary>Gave up after its retries, or failed permanently.</summary>
    Failed = 2,

    /// <summary>Cancelled before it ran.</summary>
    Cancelled = 3,
}

/// <summary>A durable, scheduled action (e.g. an HTTP callback) and every attempt made.</summary>
[GenerateSerializer, Immutable, Alias("callevents.ScheduledActionRecord")]
public sealed record ScheduledActionRecord
{
    /// <summary>Stable id; also the <c>Idempotency-Key</c> of HTTP callbacks.</summary>
    [Id(0)] public required string Id { get; init; }

    /// <summary>What it is (the rule or action name).</summary>
    [Id(1)] public required string Name { get; init; }

    /// <summary>When it is due.</summary>
    [Id(2)] public required DateTimeOffset DueAt { get; init; }

    /// <summary>Where it goes (for HTTP callbacks), if anywhere.</summary>
    [Id(3)] public string? Target { get; init; }

    /// <summary>The action's payload (JSON text), as it will be or was sent.</summary>
    [Id(4)] public string? Payload { get; init; }

    /// <summary>Its state.</summary>
    [Id(5)] public ActionStatus Status { get; init; }

    /// <summary>Every attempt, in order.</summary>
    [Id(6)] public ImmutableArray<ActionAttempt> Attempts { get; init; } = [];

    /// <summary>When it reached its final status.</summary>
    [Id(7)] public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The emission that led to it.</summary>
    [Id(8)] public Guid EmissionId { get; init; }
}

/// <summary>One try at running an action.</summary>
[GenerateSerializer, Immutable, Alias("callevents.ActionAttempt")]
public sealed record ActionAttempt(
    [property: Id(0)] int Number,
    [property: Id(1)] DateTimeOffset StartedAt,
    [property: Id(2)] TimeSpan Duration,
    [property: Id(3)] bool Succeeded,
    [property: Id(4)] string Outcome);
