namespace CallEvents.Tests.Domain;

/// <summary>Builds normalized events directly, for the pure reconciliation rules.</summary>
internal static class EventBuilder
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static IncomingEvent Call(NormalizedEventType type, int secondsAfterT0, string? id = null, string source = EventSources.SubVerse, bool analysis = false, string? reason = null, string? agent = "agent-1") => new()
    {
        Source = source,
        Entity = EntityKind.Call,
        EntityId = "call-1",
        EventName = type.ToString(),
        Type = type,
        DedupKey = DedupKey.FromIdentity(source, id ?? $"{type}-{secondsAfterT0}"),
        ProviderTime = T0.AddSeconds(secondsAfterT0),
        ReceivedAt = T0.AddMinutes(10),
        AgentId = agent,
        Reason = reason,
        Analysis = analysis ? new CallAnalysis { Sentiment = "negative", Summary = "s" } : null,
        RawPayload = [(byte)'{', (byte)'}'],
    };

    public static IncomingEvent Workflow(NormalizedEventType type, int secondsAfterT0, string? node = null, string? id = null) => new()
    {
        Source = EventSources.SubVerse,
        Entity = EntityKind.WorkflowExecution,
        EntityId = "exec-1",
        EventName = type.ToString(),
        Type = type,
        DedupKey = DedupKey.FromIdentity(EventSources.SubVerse, id ?? $"{type}-{secondsAfterT0}-{node}"),
        ProviderTime = T0.AddSeconds(secondsAfterT0),
        ReceivedAt = T0.AddMinutes(10),
        NodeName = node,
        RawPayload = [(byte)'{', (byte)'}'],
    };
}
