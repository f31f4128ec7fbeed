using CallEvents.Domain;
using static CallEvents.Tests.Domain.EventBuilder;

namespace CallEvents.Tests.Domain;

public sealed class WorkflowReconcilerTests
{
    private const string Key = "subverse/exec-1";

    [Fact]
    public void Node_executions_are_counted_and_the_latest_names_the_last_node()
    {
        var snapshot = WorkflowReconciler.Reconcile(Key,
        [
            Workflow(NormalizedEventType.WorkflowStarted, 0),
            Workflow(NormalizedEventType.WorkflowNodeExecuted, 20, "b"),
            Workflow(NormalizedEventType.WorkflowNodeExecuted, 10, "a"),
        ], 0);

        Assert.Equal(WorkflowPhase.Started, snapshot.Status);
        Assert.Equal(2, snapshot.NodeExecutions);
        Assert.Equal("b", snapshot.LastNode);
        Assert.Equal<WorkflowPhase>([WorkflowPhase.Queued], snapshot.MissingPhases);
    }

    [Fact]
    public void Completed_then_a_late_start_keeps_completed()
    {
        var snapshot = WorkflowReconciler.Reconcile(Key, [Workflow(NormalizedEventType.WorkflowCompleted, 50), Workflow(NormalizedEventType.WorkflowStarted, 0)], 0);
        Assert.Equal(WorkflowPhase.Completed, snapshot.Status);
        Assert.Equal(EventBuilder.T0, snapshot.Phases.Started);
        Assert.Equal<WorkflowPhase>([WorkflowPhase.Queued], snapshot.MissingPhases);
    }

    [Theory]
    [InlineData(50, 51, WorkflowPhase.Failed)]
    [InlineData(51, 50, WorkflowPhase.Completed)]
    [InlineData(50, 50, WorkflowPhase.Completed)]
    public void Conflicting_terminals_follow_the_later_time_with_ties_to_success(int completedAt, int failedAt, WorkflowPhase expected)
    {
        var snapshot = WorkflowReconciler.Reconcile(Key, [Workflow(NormalizedEventType.WorkflowCompleted, completedAt), Workflow(NormalizedEventType.WorkflowFailed, failedAt)], 0);
        Assert.Equal(expected, snapshot.Status);
        Assert.Equal(AnomalyCodes.ConflictingTerminals, Assert.Single(snapshot.Anomalies).Code);
    }
}
