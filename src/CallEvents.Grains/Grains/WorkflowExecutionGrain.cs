using CallEvents.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Grains;

/// <summary>
/// One workflow execution's lifecycle, keyed <c>{source}/{executionId}</c>: reconciliation, and
/// <c>workflow-completed</c> / <c>workflow-failed</c> once each.
/// </summary>
public sealed class WorkflowExecutionGrain(
    [PersistentState("workflow", Names.GrainStorage)] IPersistentState<EventLogState> state,
    IOptions<ProcessingOptions> options,
    IOptions<LifecycleOptions> lifecycle,
    FollowUpRegistry consumers,
    TimeProvider time,
    ILogger<WorkflowExecutionGrain> logger)
    : EventLogGrain<WorkflowSnapshot>(state, options, lifecycle, consumers, time, logger), IWorkflowExecutionGrain
{
    /// <inheritdoc/>
    protected override EntityKind Kind => EntityKind.WorkflowExecution;

    /// <inheritdoc/>
    public Task<IngestResult> IngestAsync(IncomingEvent incoming) => IngestCoreAsync(incoming);

    /// <inheritdoc/>
    public Task<WorkflowSnapshot?> GetSnapshotAsync() => GetSnapshotCoreAsync();

    /// <inheritdoc/>
    public Task<EventHistory?> GetEventsAsync() => GetEventsCoreAsync();

    /// <inheritdoc/>
    public Task ConfirmEmissionAsync(Guid emissionId, string consumer) => ConfirmEmissionCoreAsync(emissionId, consumer);

    /// <inheritdoc/>
    protected override string KeyOf(IncomingEvent incoming) => GrainKeys.Workflow(incoming.Source, incoming.EntityId);

    /// <inheritdoc/>
    protected override int RankOf(IncomingEvent incoming) => PhaseRanks.Of(WorkflowReconciler.PhaseOf(incoming));

    /// <inheritdoc/>
    protected override int StatusRankOf(WorkflowSnapshot snapshot) => PhaseRanks.Of(snapshot.Status);

    /// <inheritdoc/>
    protected override WorkflowSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount) =>
        WorkflowReconciler.Reconcile(key, events, duplicateCount);

    /// <inheritdoc/>
    protected override IEnumerable<(string Marker, LifecycleEvent Event)> EmissionsFor(WorkflowSnapshot snapshot, DateTimeOffset now)
    {
        var streamNamespace = snapshot.Status switch
        {
            WorkflowPhase.Completed => StreamNamespaces.WorkflowCompleted,
            WorkflowPhase.Failed => StreamNamespaces.WorkflowFailed,
            _ => null,
        };
        if (streamNamespace is not null)
        {
            yield return (streamNamespace, new WorkflowFinishedEvent
            {
                EmissionId = Guid.NewGuid(),
                Namespace = streamNamespace,
                Key = snapshot.Key,
                Source = snapshot.Source,
                EmittedAt = now,
                ExecutionId = snapshot.ExecutionId,
                WorkflowId = snapshot.WorkflowId,
                WorkflowName = snapshot.WorkflowName,
                Status = snapshot.Status,
                FailureReason = snapshot.FailureReason,
                NodeExecutions = snapshot.NodeExecutions,
                Phases = snapshot.Phases,
            });
        }
    }
}
