using CallEvents.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Grains;

/// <summary>One workflow execution's lifecycle, keyed <c>{source}/{executionId}</c>.</summary>
public sealed class WorkflowExecutionGrain(
    [PersistentState("workflow", Names.GrainStorage)] IPersistentState<EventLogState> state,
    IOptions<ProcessingOptions> options,
    ILogger<WorkflowExecutionGrain> logger)
    : EventLogGrain<WorkflowSnapshot>(state, options, logger), IWorkflowExecutionGrain
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
    protected override string KeyOf(IncomingEvent incoming) => GrainKeys.Workflow(incoming.Source, incoming.EntityId);

    /// <inheritdoc/>
    protected override int RankOf(IncomingEvent incoming) => PhaseRanks.Of(WorkflowReconciler.PhaseOf(incoming));

    /// <inheritdoc/>
    protected override int StatusRankOf(WorkflowSnapshot snapshot) => PhaseRanks.Of(snapshot.Status);

    /// <inheritdoc/>
    protected override WorkflowSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount) =>
        WorkflowReconciler.Reconcile(key, events, duplicateCount);
}
