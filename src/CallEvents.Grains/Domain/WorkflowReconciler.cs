using System.Collections.Immutable;
using System.Globalization;

namespace CallEvents.Domain;

/// <summary>Design §3 for workflow executions: a pure, order-independent function of the accepted events.</summary>
public static class WorkflowReconciler
{
    /// <summary>The phase an event puts the execution in, or None (node executions and unknown events).</summary>
    public static WorkflowPhase PhaseOf(IncomingEvent e) => e.Type switch
    {
        NormalizedEventType.WorkflowQueued => WorkflowPhase.Queued,
        NormalizedEventType.WorkflowStarted => WorkflowPhase.Started,
        NormalizedEventType.WorkflowCompleted => WorkflowPhase.Completed,
        NormalizedEventType.WorkflowFailed => WorkflowPhase.Failed,
        _ => WorkflowPhase.None,
    };

    /// <summary>Reconciles the accepted events of one execution into its snapshot.</summary>
    public static WorkflowSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount)
    {
        ArgumentNullException.ThrowIfNull(events);
        var (source, executionId) = GrainKeys.Split(key);
        var known = events.Where(e => e.Type != NormalizedEventType.Unknown).ToList();
        var byPhase = known
            .Where(e => PhaseOf(e) != WorkflowPhase.None)
            .GroupBy(PhaseOf)
            .ToDictionary(g => g.Key, g => g.ToList());
        var nodes = known.Where(e => e.Type == NormalizedEventType.WorkflowNodeExecuted).ToList();
        var anomalies = new List<Anomaly>();

        var completed = byPhase.GetValueOrDefault(WorkflowPhase.Completed);
        var failed = byPhase.GetValueOrDefault(WorkflowPhase.Failed);
        var failureWins = failed is not null;
        if (completed is not null && failed is not null)
        {
            var successTime = EventOrdering.LatestTime(completed);
            var failureTime = EventOrdering.LatestTime(failed);
            failureWins = EventOrdering.FailureWins(successTime, failureTime);
            anomalies.Add(new Anomaly(
                AnomalyCodes.ConflictingTerminals,
                string.Create(CultureInfo.InvariantCulture, $"completed at {CallReconciler.Format(successTime)} and failed at {CallReconciler.Format(failureTime)}; {(failureWins ? "failure" : "success")} has the later provider time")));
        }

        CallReconciler.AddMismatch(anomalies, AnomalyCodes.OrganizationMismatch, "organizations", known.Select(e => e.OrganizationId));
        var status = byPhase.Count == 0
            ? WorkflowPhase.None
            : byPhase.Keys.Max(PhaseRanks.Of) switch
            {
                3 => failureWins ? WorkflowPhase.Failed : WorkflowPhase.Completed,
                2 => WorkflowPhase.Started,
                _ => WorkflowPhase.Queued,
            };

        var topSuccess = byPhase.Keys.Where(p => p != WorkflowPhase.Failed).Select(PhaseRanks.Of).DefaultIfEmpty(0).Max();
        ImmutableArray<WorkflowPhase> missing = [.. new[] { WorkflowPhase.Queued, WorkflowPhase.Started }
            .Where(p => PhaseRanks.Of(p) < topSuccess && !byPhase.ContainsKey(p))];
        var latestFailure = failed is null ? null : EventOrdering.Latest(failed);

        return new WorkflowSnapshot
        {
            Key = key,
            Source = source,
            ExecutionId = executionId,
            WorkflowId = EventOrdering.LatestValue(known, e => e.WorkflowId),
            WorkflowName = EventOrdering.LatestValue(known, e => e.WorkflowName),
            Status = status,
            Phases = new WorkflowPhaseTimes
            {
                Queued = TimeOf(byPhase, WorkflowPhase.Queued),
                Started = TimeOf(byPhase, WorkflowPhase.Started),
                Completed = TimeOf(byPhase, WorkflowPhase.Completed),
                Failed = TimeOf(byPhase, WorkflowPhase.Failed),
            },
            MissingPhases = missing,
            Anomalies = [.. anomalies.OrderBy(a => a.Code, StringComparer.Ordinal)],
            NodeExecutions = nodes.Count,
            LastNode = EventOrdering.LatestValue(nodes, e => e.NodeName),
            ReportedNodesExecuted = known.Select(e => e.ReportedNodesExecuted).Max(),
            FailureReason = status == WorkflowPhase.Failed ? latestFailure?.Reason ?? latestFailure?.ProviderStatus : null,
            EventCount = events.Count,
            DuplicateCount = duplicateCount,
            UnrecognizedCount = events.Count - known.Count,
            FirstReceivedAt = events.Count == 0 ? default : events.Min(e => e.ReceivedAt),
            LastReceivedAt = events.Count == 0 ? default : events.Max(e => e.ReceivedAt),
            OrganizationId = EventOrdering.LatestValue(known, e => e.OrganizationId),
        };
    }

    private static DateTimeOffset? TimeOf(Dictionary<WorkflowPhase, List<IncomingEvent>> byPhase, WorkflowPhase phase) =>
        byPhase.TryGetValue(phase, out var events) ? EventOrdering.EarliestTime(events) : null;
}
