namespace CallEvents.Samples;

/// <summary>The provider events the samples know, each with the meaning docs/design.md §2 gives it.</summary>
public enum EventKind
{
    VerbexCallStarted,
    VerbexCallEnded,
    VerbexPcaCompleted,
    SubVerseInQueue,
    SubVersePlaced,
    SubVerseCompleted,
    SubVerseErrored,
    SubVerseCanceled,
    SubVerseExpired,
    WorkflowInQueue,
    WorkflowStarted,
    WorkflowNodeExecution,
    WorkflowCompleted,
    WorkflowFailed,
}

/// <summary>Which grain an entity lives in.</summary>
public enum EntityType
{
    VerbexCall,
    SubVerseCall,
    Workflow,
}

/// <summary>Provider event names, their sources and entity types.</summary>
public static class EventNames
{
    /// <summary>The <c>verbex</c> source (the webhook path segment).</summary>
    public const string Verbex = "verbex";

    /// <summary>The <c>subverse</c> source (the webhook path segment).</summary>
    public const string SubVerse = "subverse";

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<EventKind> All { get; } = Enum.GetValues<EventKind>();

    /// <summary>The event name exactly as the provider sends it.</summary>
    public static string Of(EventKind kind) => kind switch
    {
        EventKind.VerbexCallStarted => "CallHandler.CallStarted",
        EventKind.VerbexCallEnded => "CallHandler.CallEnded",
        EventKind.VerbexPcaCompleted => "callAnalysis.pcaCompleted",
        EventKind.SubVerseInQueue => "call.in_queue",
        EventKind.SubVersePlaced => "call.placed",
        EventKind.SubVerseCompleted => "call.completed",
        EventKind.SubVerseErrored => "call.errored",
        EventKind.SubVerseCanceled => "call.canceled",
        EventKind.SubVerseExpired => "call.expired",
        EventKind.WorkflowInQueue => "workflow.in_queue",
        EventKind.WorkflowStarted => "workflow.started",
        EventKind.WorkflowNodeExecution => "workflow.node_execution",
        EventKind.WorkflowCompleted => "workflow.completed",
        EventKind.WorkflowFailed => "workflow.failed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The entity an event of this kind belongs to.</summary>
    public static EntityType EntityOf(EventKind kind) => kind switch
    {
        <= EventKind.VerbexPcaCompleted => EntityType.VerbexCall,
        <= EventKind.SubVerseExpired => EntityType.SubVerseCall,
        _ => EntityType.Workflow,
    };

    /// <summary>The source (webhook path segment) of an entity type.</summary>
    public static string SourceOf(EntityType type) => type == EntityType.VerbexCall ? Verbex : SubVerse;

    /// <summary>The source (webhook path segment) of an event kind.</summary>
    public static string SourceOf(EventKind kind) => SourceOf(EntityOf(kind));

    /// <summary>The kind a source sends under this event name (both case-sensitive, as the providers send them).</summary>
    public static bool TryParse(string source, string eventName, out EventKind kind)
    {
        foreach (var candidate in All)
        {
            if (SourceOf(candidate) == source && Of(candidate) == eventName)
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>The event names a source sends, in declaration order.</summary>
    public static IEnumerable<string> NamesOf(string source) => All.Where(k => SourceOf(k) == source).Select(Of);
}
