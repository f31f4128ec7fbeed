using System.Collections.Immutable;

namespace CallEvents;

/// <summary>Stream namespaces on which lifecycle grains publish; the stream key is the producing grain's key.</summary>
public static class StreamNamespaces
{
    /// <summary>A call became PCA-ready (published once per call).</summary>
    public const string CallPcaReady = "call-pca-ready";

    /// <summary>A call ended without PCA, or started without ending, past its deadline.</summary>
    public const string CallStalled = "call-stalled";

    /// <summary>A workflow execution completed (published once per execution).</summary>
    public const string WorkflowCompleted = "workflow-completed";

    /// <summary>A workflow execution failed (published once per execution).</summary>
    public const string WorkflowFailed = "workflow-failed";

    /// <summary>Every namespace, for registries and docs.</summary>
    public static IReadOnlyList<string> All { get; } = [CallPcaReady, CallStalled, WorkflowCompleted, WorkflowFailed];

    /// <summary>Whether a namespace's events come from call grains (else workflow-execution grains).</summary>
    public static bool IsCallNamespace(string streamNamespace) => streamNamespace is CallPcaReady or CallStalled;
}

/// <summary>
/// Base of every lifecycle emission. Delivery is at-least-once (the producer republishes until each registered
/// consumer confirmed); <see cref="EmissionId"/> is stable across republishing, so consumers get exactly-once effect
/// by remembering the ids they handled.
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.LifecycleEvent")]
public abstract record LifecycleEvent
{
    /// <summary>Stable id of this emission (same on every republish).</summary>
    [Id(0)] public Guid EmissionId { get; init; }

    /// <summary>The stream namespace it was published on.</summary>
    [Id(1)] public string Namespace { get; init; } = string.Empty;

    /// <summary>The producing grain's key (<c>{source}/{id}</c>), which is also the stream key.</summary>
    [Id(2)] public string Key { get; init; } = string.Empty;

    /// <summary>The source (provider).</summary>
    [Id(3)] public string Source { get; init; } = string.Empty;

    /// <summary>When the producer decided to emit (its clock).</summary>
    [Id(4)] public DateTimeOffset EmittedAt { get; init; }
}

/// <summary>What every call emission carries about the call.</summary>
[GenerateSerializer, Immutable, Alias("callevents.CallLifecycleEvent")]
public abstract record CallLifecycleEvent : LifecycleEvent
{
    /// <summary>The provider's call id.</summary>
    [Id(0)] public string CallId { get; init; } = string.Empty;

    /// <summary>The AI agent.</summary>
    [Id(1)] public string? AgentId { get; init; }

    /// <summary>The provider-side organization (Verbex).</summary>
    [Id(2)] public string? OrganizationId { get; init; }

    /// <summary>The call's status when emitted.</summary>
    [Id(3)] public CallPhase Status { get; init; }

    /// <summary>The call's outcome when emitted.</summary>
    [Id(4)] public CallOutcome Outcome { get; init; }

    /// <summary>Phase timestamps (provider times).</summary>
    [Id(5)] public CallPhaseTimes Phases { get; init; } = new();

    /// <summary>The customer's number (SubVerse).</summary>
    [Id(6)] public string? CustomerNumber { get; init; }
}

/// <summary>Published on <see cref="StreamNamespaces.CallPcaReady"/> the first time a call reaches PcaReady.</summary>
[GenerateSerializer, Immutable, Alias("callevents.CallPcaReadyEvent")]
public sealed record CallPcaReadyEvent : CallLifecycleEvent
{
    /// <summary>PCA details: Verbex status/reason, SubVerse analysis (sentiment, summary, custom fields).</summary>
    [Id(0)] public PcaInfo Pca { get; init; } = new();
}

/// <summary>Published on <see cref="StreamNamespaces.CallStalled"/> when a call misses a deadline.</summary>
[GenerateSerializer, Immutable, Alias("callevents.CallStalledEvent")]
public sealed record CallStalledEvent : CallLifecycleEvent
{
    /// <summary>Which deadline was missed.</summary>
    [Id(0)] public StallReason Reason { get; init; }

    /// <summary>When the call entered the phase it is stuck in (our receive time).</summary>
    [Id(1)] public DateTimeOffset WaitingSince { get; init; }
}

/// <summary>Published on <see cref="StreamNamespaces.WorkflowCompleted"/> or <see cref="StreamNamespaces.WorkflowFailed"/>.</summary>
[GenerateSerializer, Immutable, Alias("callevents.WorkflowFinishedEvent")]
public sealed record WorkflowFinishedEvent : LifecycleEvent
{
    /// <summary>The provider's execution id.</summary>
    [Id(0)] public string ExecutionId { get; init; } = string.Empty;

    /// <summary>The workflow definition id.</summary>
    [Id(1)] public string? WorkflowId { get; init; }

    /// <summary>The workflow's name.</summary>
    [Id(2)] public string? WorkflowName { get; init; }

    /// <summary>Completed or Failed.</summary>
    [Id(3)] public WorkflowPhase Status { get; init; }

    /// <summary>Why it failed, when it did.</summary>
    [Id(4)] public string? FailureReason { get; init; }

    /// <summary>Distinct node executions seen.</summary>
    [Id(5)] public int NodeExecutions { get; init; }

    /// <summary>Phase timestamps (provider times).</summary>
    [Id(6)] public WorkflowPhaseTimes Phases { get; init; } = new();
}

/// <summary>Why a call is flagged as stalled.</summary>
public enum StallReason
{
    /// <summary>Not stalled.</summary>
    None = 0,

    /// <summary>Ended (or completed) but no PCA within <c>Watchdog:PcaDeadline</c>.</summary>
    EndedWithoutPca = 1,

    /// <summary>Queued, placed or started but no end within <c>Watchdog:EndDeadline</c>.</summary>
    NotEnded = 2,
}

/// <summary>The stall flag in a call snapshot.</summary>
[GenerateSerializer, Immutable, Alias("callevents.StallInfo")]
public sealed record StallInfo(
    [property: Id(0)] StallReason Reason,
    [property: Id(1)] DateTimeOffset WaitingSince,
    [property: Id(2)] DateTimeOffset FlaggedAt);

/// <summary>An emission a producer has stored and not yet seen confirmed by every registered consumer.</summary>
[GenerateSerializer, Immutable, Alias("callevents.PendingEmission")]
public sealed record PendingEmission(
    [property: Id(0)] LifecycleEvent Event,
    [property: Id(1)] ImmutableSortedSet<string> AwaitingConsumers);
