namespace CallEvents;

/// <summary>
/// Call lifecycle phases. The numeric order is not the rank: see <see cref="PhaseRanks"/>
/// (<see cref="Failed"/> is terminal at the same rank as <see cref="Ended"/>).
/// </summary>
public enum CallPhase
{
    /// <summary>Nothing that sets a phase has been seen.</summary>
    None = 0,

    /// <summary>Waiting to be processed (SubVerse <c>call.in_queue</c>).</summary>
    Queued = 1,

    /// <summary>Outbound call initiated (SubVerse <c>call.placed</c>).</summary>
    Placed = 2,

    /// <summary>The call session began (Verbex <c>CallHandler.CallStarted</c>).</summary>
    Started = 3,

    /// <summary>The call finished (Verbex <c>CallHandler.CallEnded</c>, SubVerse <c>call.completed</c>).</summary>
    Ended = 4,

    /// <summary>Post-call analysis is available.</summary>
    PcaReady = 5,

    /// <summary>Errored, canceled or expired: terminal, expects no PCA.</summary>
    Failed = 6,
}

/// <summary>Workflow execution phases: <c>Queued &lt; Started &lt; Completed | Failed</c>.</summary>
public enum WorkflowPhase
{
    /// <summary>Nothing that sets a phase has been seen.</summary>
    None = 0,

    /// <summary>Waiting to execute.</summary>
    Queued = 1,

    /// <summary>Execution has begun.</summary>
    Started = 2,

    /// <summary>Finished successfully.</summary>
    Completed = 3,

    /// <summary>Execution failed.</summary>
    Failed = 4,
}

/// <summary>The ranks the reconciliation rules compare.</summary>
public static class PhaseRanks
{
    /// <summary>Rank of a call phase: Queued 1, Placed 2, Started 3, Ended 4, Failed 4, PcaReady 5.</summary>
    public static int Of(CallPhase phase) => phase switch
    {
        CallPhase.Queued => 1,
        CallPhase.Placed => 2,
        CallPhase.Started => 3,
        CallPhase.Ended or CallPhase.Failed => 4,
        CallPhase.PcaReady => 5,
        _ => 0,
    };

    /// <summary>Rank of a workflow phase: Queued 1, Started 2, Completed 3, Failed 3.</summary>
    public static int Of(WorkflowPhase phase) => phase switch
    {
        WorkflowPhase.Queued => 1,
        WorkflowPhase.Started => 2,
        WorkflowPhase.Completed or WorkflowPhase.Failed => 3,
        _ => 0,
    };
}

/// <summary>A provider event mapped onto the domain (docs/design.md §2).</summary>
public enum NormalizedEventType
{
    /// <summary>An event name we do not know, for an entity we do: stored in history, changes no state.</summary>
    Unknown = 0,

    /// <summary>SubVerse <c>call.in_queue</c>.</summary>
    CallQueued = 1,

    /// <summary>SubVerse <c>call.placed</c>.</summary>
    CallPlaced = 2,

    /// <summary>Verbex <c>CallHandler.CallStarted</c>.</summary>
    CallStarted = 3,

    /// <summary>Verbex <c>CallHandler.CallEnded</c>.</summary>
    CallEnded = 4,

    /// <summary>SubVerse <c>call.completed</c>: Ended, and PcaReady when it carries an analysis.</summary>
    CallCompleted = 5,

    /// <summary>Verbex <c>callAnalysis.pcaCompleted</c>.</summary>
    PcaCompleted = 6,

    /// <summary>SubVerse <c>call.errored</c>.</summary>
    CallErrored = 7,

    /// <summary>SubVerse <c>call.canceled</c>.</summary>
    CallCanceled = 8,

    /// <summary>SubVerse <c>call.expired</c>.</summary>
    CallExpired = 9,

    /// <summary>SubVerse <c>workflow.in_queue</c>.</summary>
    WorkflowQueued = 20,

    /// <summary>SubVerse <c>workflow.started</c>.</summary>
    WorkflowStarted = 21,

    /// <summary>SubVerse <c>workflow.node_execution</c>.</summary>
    WorkflowNodeExecuted = 22,

    /// <summary>SubVerse <c>workflow.failed</c>.</summary>
    WorkflowFailed = 23,

    /// <summary>SubVerse <c>workflow.completed</c>.</summary>
    WorkflowCompleted = 24,
}

/// <summary>How a call ended, once it has.</summary>
public enum CallOutcome
{
    /// <summary>No terminal event yet.</summary>
    None = 0,

    /// <summary>Ended normally (Ended or PcaReady seen, and no later failure).</summary>
    Succeeded = 1,

    /// <summary>SubVerse reported an error.</summary>
    Errored = 2,

    /// <summary>Canceled before completion.</summary>
    Canceled = 3,

    /// <summary>Expired (timed out) before completion.</summary>
    Expired = 4,
}

/// <summary>The kind of entity an event belongs to.</summary>
public enum EntityKind
{
    /// <summary>A call, keyed <c>{source}/{callId}</c>.</summary>
    Call = 0,

    /// <summary>A workflow execution, keyed <c>{source}/{executionId}</c>.</summary>
    WorkflowExecution = 1,
}
