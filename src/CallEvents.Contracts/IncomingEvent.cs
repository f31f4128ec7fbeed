using System.Collections.Immutable;

namespace CallEvents;

/// <summary>
/// One webhook delivery, normalized by a provider adapter. The raw body travels with it unchanged,
/// because providers add fields without notice and the operator must be able to see what was sent.
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.IncomingEvent")]
public sealed record IncomingEvent
{
    /// <summary>Source (provider) name, e.g. <c>verbex</c>.</summary>
    [Id(0)] public required string Source { get; init; }

    /// <summary>Whether this is a call or a workflow execution event.</summary>
    [Id(1)] public required EntityKind Entity { get; init; }

    /// <summary>The provider's call id or execution id.</summary>
    [Id(2)] public required string EntityId { get; init; }

    /// <summary>The raw event name as the provider sent it.</summary>
    [Id(3)] public required string EventName { get; init; }

    /// <summary>The mapped event type; <see cref="NormalizedEventType.Unknown"/> for names we do not know.</summary>
    [Id(4)] public required NormalizedEventType Type { get; init; }

    /// <summary>Identity of the delivery, for deduplication without a time window.</summary>
    [Id(5)] public required DedupKey DedupKey { get; init; }

    /// <summary>When the provider says the event happened, if it said.</summary>
    [Id(6)] public DateTimeOffset? ProviderTime { get; init; }

    /// <summary>When this service received the delivery.</summary>
    [Id(7)] public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The AI agent that handled the call.</summary>
    [Id(8)] public string? AgentId { get; init; }

    /// <summary>The agent's display name (SubVerse).</summary>
    [Id(9)] public string? AgentName { get; init; }

    /// <summary>The provider-side organization (Verbex <c>organizationId</c>).</summary>
    [Id(10)] public string? OrganizationId { get; init; }

    /// <summary>The provider's status field (Verbex <c>payload.status</c>, SubVerse <c>callStatus</c> / <c>status</c>).</summary>
    [Id(11)] public string? ProviderStatus { get; init; }

    /// <summary>A reason given with the event (Verbex PCA <c>reason</c>, SubVerse failure reason).</summary>
    [Id(12)] public string? Reason { get; init; }

    /// <summary>Verbex PCA <c>payload.timestamp</c> (Unix milliseconds).</summary>
    [Id(13)] public DateTimeOffset? PcaCompletedAt { get; init; }

    /// <summary>SubVerse <c>data.analysis</c>, when present.</summary>
    [Id(14)] public CallAnalysis? Analysis { get; init; }

    /// <summary>SubVerse <c>data.workflowId</c>.</summary>
    [Id(15)] public string? WorkflowId { get; init; }

    /// <summary>SubVerse <c>data.workflowName</c>.</summary>
    [Id(16)] public string? WorkflowName { get; init; }

    /// <summary>The workflow node a <c>workflow.node_execution</c> event names, if any.</summary>
    [Id(17)] public string? NodeName { get; init; }

    /// <summary>SubVerse <c>data.nodesExecuted</c>: the provider's own count.</summary>
    [Id(18)] public int? ReportedNodesExecuted { get; init; }

    /// <summary>SubVerse <c>data.customerNumber</c>.</summary>
    [Id(19)] public string? CustomerNumber { get; init; }

    /// <summary>SubVerse <c>data.callDirection</c>.</summary>
    [Id(20)] public string? CallDirection { get; init; }

    /// <summary>The request body exactly as received (UTF-8 JSON). Empty in stored events: the body is kept beside them.</summary>
    [Id(21)] public required byte[] RawPayload { get; init; }

    /// <summary>
    /// The organization the sender authenticated as (a tenant-bound credential), or null for a credential that may write
    /// any organization's entities. The grain refuses the event when the entity already belongs to another organization.
    /// </summary>
    [Id(22)] public string? Tenant { get; init; }
}

/// <summary>A SubVerse post-call analysis.</summary>
[GenerateSerializer, Immutable, Alias("callevents.CallAnalysis")]
public sealed record CallAnalysis
{
    /// <summary><c>analysis.sentiment</c>, e.g. <c>positive</c>.</summary>
    [Id(0)] public string? Sentiment { get; init; }

    /// <summary><c>analysis.summary</c>.</summary>
    [Id(1)] public string? Summary { get; init; }

    /// <summary>
    /// <c>analysis.customFields</c>: string values as they are, any other JSON value as its JSON text.
    /// </summary>
    [Id(2)] public ImmutableSortedDictionary<string, string> CustomFields { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <inheritdoc/>
    public bool Equals(CallAnalysis? other) =>
        other is not null
        && Sentiment == other.Sentiment
        && Summary == other.Summary
        && CustomFields.Count == other.CustomFields.Count
        && CustomFields.All(kv => other.CustomFields.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Sentiment, Summary, CustomFields.Count);
}

/// <summary>What a grain did with a delivery.</summary>
public enum IngestStatus
{
    /// <summary>New, applied and durably stored.</summary>
    Accepted = 0,

    /// <summary>Already accepted before; nothing changed.</summary>
    Duplicate = 1,

    /// <summary>An unknown event name: stored in history, no state change.</summary>
    Unrecognized = 2,

    /// <summary>Storage failed or conflicted; nothing was stored and the sender should retry.</summary>
    NotStored = 4,

    /// <summary>The entity belongs to another organization than the sender's tenant; nothing was stored.</summary>
    Refused = 5,
}

/// <summary>The grain's answer to one delivery.</summary>
/// <param name="Status">What the grain did.</param>
/// <param name="EventCount">Distinct events the entity holds.</param>
/// <param name="Detail">Why nothing was stored, when so.</param>
/// <param name="Late">An accepted event of a lower phase than the entity's status (marked late in its history).</param>
[GenerateSerializer, Immutable, Alias("callevents.IngestResult")]
public sealed record IngestResult(
    [property: Id(0)] IngestStatus Status,
    [property: Id(1)] int EventCount,
    [property: Id(2)] string? Detail = null,
    [property: Id(3)] bool Late = false);
