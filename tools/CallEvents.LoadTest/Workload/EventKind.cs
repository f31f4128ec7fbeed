namespace CallEvents.LoadTest.Workload;

/// <summary>The provider events the generator sends, each with the meaning design §2 gives it.</summary>
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
}

/// <summary>Which grain an entity lives in.</summary>
public enum EntityType
{
    VerbexCall,
    SubVerseCall,
    Workflow,
}

/// <summary>Provider event names and the phase names snapshots use.</summary>
public static class EventNames
{
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
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static string SourceOf(EntityType type) => type == EntityType.VerbexCall ? "verbex" : "subverse";
}
