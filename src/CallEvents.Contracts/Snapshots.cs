using System.Collections.Immutable;

namespace CallEvents;

/// <summary>
/// The reconciled state of one call. Every field except the two received-at times depends only on the
/// set of distinct events accepted, never on their arrival order (docs/design.md, rule 2).
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.CallSnapshot")]
public sealed record CallSnapshot
{
    /// <summary>The grain key, <c>{source}/{callId}</c>.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <summary>The source (provider).</summary>
    [Id(1)] public required string Source { get; init; }

    /// <summary>The provider's call id.</summary>
    [Id(2)] public required string CallId { get; init; }

    /// <summary>The highest phase observed (rule 1); Failed and Ended share rank 4 and follow the outcome.</summary>
    [Id(3)] public CallPhase Status { get; init; }

    /// <summary>How the call ended; with conflicting terminals, the later provider timestamp wins (ties: success).</summary>
    [Id(4)] public CallOutcome Outcome { get; init; }

    /// <summary>Provider timestamps of each phase (the earliest event of that phase).</summary>
    [Id(5)] public CallPhaseTimes Phases { get; init; } = new();

    /// <summary>Phases implied by a higher one but not seen (rule 3).</summary>
    [Id(6)] public ImmutableArray<CallPhase> MissingPhases { get; init; } = [];

    /// <summary>Contradictions found in the events, sorted by code.</summary>
    [Id(7)] public ImmutableArray<Anomaly> Anomalies { get; init; } = [];

    /// <summary>Why the call failed, when the outcome is a failure.</summary>
    [Id(8)] public string? FailureReason { get; init; }

    /// <summary>The AI agent.</summary>
    [Id(9)] public string? AgentId { get; init; }

    /// <summary>The agent's display name (SubVerse).</summary>
    [Id(10)] public string? AgentName { get; init; }

    /// <summary>The provider-side organization (Verbex).</summary>
    [Id(11)] public string? OrganizationId { get; init; }

    /// <summary>The customer's number (SubVerse).</summary>
    [Id(12)] public string? CustomerNumber { get; init; }

    /// <summary>Inbound or outbound (SubVerse).</summary>
    [Id(13)] public string? CallDirection { get; init; }

    /// <summary>Post-call analysis, once PCA-ready.</summary>
    [Id(14)] public PcaInfo? Pca { get; init; }

    /// <summary>Distinct events accepted (including unrecognized ones).</summary>
    [Id(15)] public int EventCount { get; init; }

    /// <summary>Deliveries dropped as duplicates.</summary>
    [Id(16)] public int DuplicateCount { get; init; }

    /// <summary>Accepted events whose name we did not recognize.</summary>
    [Id(17)] public int UnrecognizedCount { get; init; }

    /// <summary>When the first accepted event arrived here (arrival-dependent).</summary>
    [Id(18)] public DateTimeOffset FirstReceivedAt { get; init; }

    /// <summary>When the latest accepted event arrived here (arrival-dependent).</summary>
    [Id(19)] public DateTimeOffset LastReceivedAt { get; init; }

    /// <summary>Set while the call is past a watchdog deadline (rule 6); cleared when the missing event arrives.</summary>
    [Id(20)] public StallInfo? Stalled { get; init; }

    /// <summary>Events counted but kept without their payload because the entity reached its caps; null when none.</summary>
    [Id(21)] public TruncationInfo? Truncated { get; init; }
}

/// <summary>
/// Unrecognized and repetitive events accepted past an entity's caps: counted and deduplicated like any other, but
/// their payloads were not kept.
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.TruncationInfo")]
public sealed record TruncationInfo([property: Id(0)] int Events, [property: Id(1)] long Bytes);

/// <summary>Provider timestamps per call phase; null where the phase has not been seen.</summary>
[GenerateSerializer, Immutable, Alias("callevents.CallPhaseTimes")]
public sealed record CallPhaseTimes
{
    /// <summary>Queued.</summary>
    [Id(0)] public DateTimeOffset? Queued { get; init; }

    /// <summary>Placed.</summary>
    [Id(1)] public DateTimeOffset? Placed { get; init; }

    /// <summary>Started.</summary>
    [Id(2)] public DateTimeOffset? Started { get; init; }

    /// <summary>Ended.</summary>
    [Id(3)] public DateTimeOffset? Ended { get; init; }

    /// <summary>PCA ready.</summary>
    [Id(4)] public DateTimeOffset? PcaReady { get; init; }

    /// <summary>Failed (errored, canceled or expired).</summary>
    [Id(5)] public DateTimeOffset? Failed { get; init; }
}

/// <summary>Post-call analysis details.</summary>
[GenerateSerializer, Immutable, Alias("callevents.PcaInfo")]
public sealed record PcaInfo
{
    /// <summary>Verbex PCA <c>status</c>.</summary>
    [Id(0)] public string? Status { get; init; }

    /// <summary>Verbex PCA <c>reason</c>.</summary>
    [Id(1)] public string? Reason { get; init; }

    /// <summary>When the provider completed the analysis.</summary>
    [Id(2)] public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>SubVerse analysis (sentiment, summary, custom fields).</summary>
    [Id(3)] public CallAnalysis? Analysis { get; init; }
}

/// <summary>A contradiction in an entity's events, kept visible rather than silently resolved.</summary>
[GenerateSerializer, Immutable, Alias("callevents.Anomaly")]
public sealed record Anomaly([property: Id(0)] string Code, [property: Id(1)] string Detail);

/// <summary>Well-known anomaly codes.</summary>
public static class AnomalyCodes
{
    /// <summary>Both a success terminal (Ended/PcaReady, Completed) and a failure were seen.</summary>
    public const string ConflictingTerminals = "conflicting-terminals";

    /// <summary>Events of one call name different agents.</summary>
    public const string AgentMismatch = "agent-mismatch";

    /// <summary>Events of one call name different organizations.</summary>
    public const string OrganizationMismatch = "organization-mismatch";
}

/// <summary>The reconciled state of one workflow execution (order-independent like <see cref="CallSnapshot"/>).</summary>
[GenerateSerializer, Immutable, Alias("callevents.WorkflowSnapshot")]
public sealed record WorkflowSnapshot
{
    /// <summary>The grain key, <c>{source}/{executionId}</c>.</summary>
    [Id(0)] public required string Key { get; init; }

    /// <summary>The source (provider).</summary>
    [Id(1)] public required string Source { get; init; }

    /// <summary>The provider's execution id.</summary>
    [Id(2)] public required string ExecutionId { get; init; }

    /// <summary>The workflow definition id.</summary>
    [Id(3)] public string? WorkflowId { get; init; }

    /// <summary>The workflow's name.</summary>
    [Id(4)] public string? WorkflowName { get; init; }

    /// <summary>The highest phase observed; Completed and Failed share rank 3 and follow the later timestamp (ties: Completed).</summary>
    [Id(5)] public WorkflowPhase Status { get; init; }

    /// <summary>Provider timestamps of each phase.</summary>
    [Id(6)] public WorkflowPhaseTimes Phases { get; init; } = new();

    /// <summary>Phases implied by a higher one but not seen.</summary>
    [Id(7)] public ImmutableArray<WorkflowPhase> MissingPhases { get; init; } = [];

    /// <summary>Contradictions found in the events.</summary>
    [Id(8)] public ImmutableArray<Anomaly> Anomalies { get; init; } = [];

    /// <summary>Distinct <c>workflow.node_execution</c> events accepted.</summary>
    [Id(9)] public int NodeExecutions { get; init; }

    /// <summary>The node named by the latest node execution (by provider time).</summary>
    [Id(10)] public string? LastNode { get; init; }

    /// <summary>The highest <c>nodesExecuted</c> the provider reported.</summary>
    [Id(11)] public int? ReportedNodesExecuted { get; init; }

    /// <summary>Why the execution failed, when it did.</summary>
    [Id(12)] public string? FailureReason { get; init; }

    /// <summary>Distinct events accepted.</summary>
    [Id(13)] public int EventCount { get; init; }

    /// <summary>Deliveries dropped as duplicates.</summary>
    [Id(14)] public int DuplicateCount { get; init; }

    /// <summary>Accepted events whose name we did not recognize.</summary>
    [Id(15)] public int UnrecognizedCount { get; init; }

    /// <summary>When the first accepted event arrived here (arrival-dependent).</summary>
    [Id(16)] public DateTimeOffset FirstReceivedAt { get; init; }

    /// <summary>When the latest accepted event arrived here (arrival-dependent).</summary>
    [Id(17)] public DateTimeOffset LastReceivedAt { get; init; }

    /// <summary>The organization the execution belongs to (the sender's tenant; SubVerse sends none itself).</summary>
    [Id(18)] public string? OrganizationId { get; init; }

    /// <summary>Events counted but kept without their payload because the execution reached its caps; null when none.</summary>
    [Id(19)] public TruncationInfo? Truncated { get; init; }
}

/// <summary>Provider timestamps per workflow phase.</summary>
[GenerateSerializer, Immutable, Alias("callevents.WorkflowPhaseTimes")]
public sealed record WorkflowPhaseTimes
{
    /// <summary>Queued.</summary>
    [Id(0)] public DateTimeOffset? Queued { get; init; }

    /// <summary>Started.</summary>
    [Id(1)] public DateTimeOffset? Started { get; init; }

    /// <summary>Completed.</summary>
    [Id(2)] public DateTimeOffset? Completed { get; init; }

    /// <summary>Failed.</summary>
    [Id(3)] public DateTimeOffset? Failed { get; init; }
}

/// <summary>One accepted event in an entity's history, with its raw payload.</summary>
[GenerateSerializer, Immutable, Alias("callevents.EventRecord")]
public sealed record EventRecord
{
    /// <summary>1-based arrival order of accepted events (the history's cursor counts in these).</summary>
    [Id(0)] public int Sequence { get; init; }

    /// <summary>The raw event name.</summary>
    [Id(1)] public required string EventName { get; init; }

    /// <summary>The mapped type.</summary>
    [Id(2)] public NormalizedEventType Type { get; init; }

    /// <summary>Provider time.</summary>
    [Id(3)] public DateTimeOffset? ProviderTime { get; init; }

    /// <summary>When it was received here.</summary>
    [Id(4)] public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>It arrived after a higher phase had already been seen (rule 1).</summary>
    [Id(5)] public bool Late { get; init; }

    /// <summary>The deduplication key, as hex.</summary>
    [Id(6)] public required string DedupKey { get; init; }

    /// <summary>The body exactly as received; null when it was not kept (the entity was past its caps).</summary>
    [Id(7)] public byte[]? RawPayload { get; init; }

    /// <summary>How many later deliveries repeated this event (answered as duplicates, not stored again).</summary>
    [Id(8)] public int Duplicates { get; init; }
}

/// <summary>A page of an entity's accepted events in arrival order.</summary>
/// <param name="Key">The grain key.</param>
/// <param name="Events">The page.</param>
/// <param name="Total">Accepted events in all.</param>
/// <param name="NextAfter">The <see cref="EventRecord.Sequence"/> to ask the next page after; null on the last page.</param>
[GenerateSerializer, Immutable, Alias("callevents.EventHistory")]
public sealed record EventHistory(
    [property: Id(0)] string Key,
    [property: Id(1)] ImmutableArray<EventRecord> Events,
    [property: Id(2)] int Total,
    [property: Id(3)] int? NextAfter);
