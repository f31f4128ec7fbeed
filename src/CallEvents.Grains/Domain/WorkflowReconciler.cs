using System.Collections.Immutable;
using System.Globalization;

namespace CallEvents.Domain;

/// <summary>
/// The reconciliation rules for workflow executions (docs/design.md): a pure, order-independent function of the
/// accepted events, in one pass over them like <see cref="CallReconciler"/>.
/// </summary>
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
        var seen = new bool[(int)WorkflowPhase.Failed + 1];
        var earliest = new DateTimeOffset?[(int)WorkflowPhase.Failed + 1];
        DateTimeOffset? latestCompleted = null;
        DateTimeOffset? latestFailed = null;
        IncomingEvent? latestFailure = null;
        var known = 0;
        var nodes = 0;
        int? reportedNodes = null;
        var firstReceived = DateTimeOffset.MaxValue;
        var lastReceived = DateTimeOffset.MinValue;
        CallReconciler.Latest workflowId = default, workflowName = default, organization = default, lastNode = default;
        CallReconciler.Distinct organizations = default;

        foreach (var e in events)
        {
            firstReceived = e.ReceivedAt < firstReceived ? e.ReceivedAt : firstReceived;
            lastReceived = e.ReceivedAt > lastReceived ? e.ReceivedAt : lastReceived;
            if (e.Type == NormalizedEventType.Unknown)
            {
                continue;
            }

            known++;
            var phase = PhaseOf(e);
            if (phase != WorkflowPhase.None)
            {
                seen[(int)phase] = true;
                if (e.ProviderTime is { } time && (earliest[(int)phase] is not { } current || time < current))
                {
                    earliest[(int)phase] = time;
                }
            }

            if (phase == WorkflowPhase.Completed && Nullable.Compare(e.ProviderTime, latestCompleted) > 0)
            {
                latestCompleted = e.ProviderTime;
            }

            if (phase == WorkflowPhase.Failed)
            {
                latestFailed = Nullable.Compare(e.ProviderTime, latestFailed) > 0 ? e.ProviderTime : latestFailed;
                latestFailure = latestFailure is null || EventOrdering.Compare(e, latestFailure) > 0 ? e : latestFailure;
            }

            if (e.Type == NormalizedEventType.WorkflowNodeExecuted)
            {
                nodes++;
                lastNode.Offer(e, e.NodeName);
            }

            if (e.ReportedNodesExecuted is { } reported && (reportedNodes is null || reported > reportedNodes))
            {
                reportedNodes = reported;
            }

            workflowId.Offer(e, e.WorkflowId);
            workflowName.Offer(e, e.WorkflowName);
            organization.Offer(e, e.OrganizationId);
            organizations.Add(e.OrganizationId);
        }

        var anomalies = new List<Anomaly>(0);
        var completed = seen[(int)WorkflowPhase.Completed];
        var failed = seen[(int)WorkflowPhase.Failed];
        var failureWins = failed;
        if (completed && failed)
        {
            failureWins = EventOrdering.FailureWins(latestCompleted, latestFailed);
            anomalies.Add(new Anomaly(
                AnomalyCodes.ConflictingTerminals,
                string.Create(CultureInfo.InvariantCulture, $"completed at {CallReconciler.Format(latestCompleted)} and failed at {CallReconciler.Format(latestFailed)}; {(failureWins ? "failure" : "success")} has the later provider time")));
        }

        organizations.Report(anomalies, AnomalyCodes.OrganizationMismatch, "organizations");
        anomalies.Sort((a, b) => string.CompareOrdinal(a.Code, b.Code));
        var status = completed || failed ? (failureWins ? WorkflowPhase.Failed : WorkflowPhase.Completed)
            : seen[(int)WorkflowPhase.Started] ? WorkflowPhase.Started
            : seen[(int)WorkflowPhase.Queued] ? WorkflowPhase.Queued
            : WorkflowPhase.None;

        // Rule 3: a success phase implies the ones below it; a failure implies none.
        var topSuccess = completed ? 3 : seen[(int)WorkflowPhase.Started] ? 2 : seen[(int)WorkflowPhase.Queued] ? 1 : 0;
        var missing = ImmutableArray.CreateBuilder<WorkflowPhase>(0);
        foreach (var phase in (ReadOnlySpan<WorkflowPhase>)[WorkflowPhase.Queued, WorkflowPhase.Started])
        {
            if (PhaseRanks.Of(phase) < topSuccess && !seen[(int)phase])
            {
                missing.Add(phase);
            }
        }

        return new WorkflowSnapshot
        {
            Key = key,
            Source = source,
            ExecutionId = executionId,
            WorkflowId = workflowId.Value,
            WorkflowName = workflowName.Value,
            Status = status,
            Phases = new WorkflowPhaseTimes
            {
                Queued = earliest[(int)WorkflowPhase.Queued],
                Started = earliest[(int)WorkflowPhase.Started],
                Completed = earliest[(int)WorkflowPhase.Completed],
                Failed = earliest[(int)WorkflowPhase.Failed],
            },
            MissingPhases = missing.DrainToImmutable(),
            Anomalies = [.. anomalies],
            NodeExecutions = nodes,
            LastNode = lastNode.Value,
            ReportedNodesExecuted = reportedNodes,
            FailureReason = status == WorkflowPhase.Failed ? latestFailure?.Reason ?? latestFailure?.ProviderStatus : null,
            EventCount = events.Count,
            DuplicateCount = duplicateCount,
            UnrecognizedCount = events.Count - known,
            FirstReceivedAt = events.Count == 0 ? default : firstReceived,
            LastReceivedAt = events.Count == 0 ? default : lastReceived,
            OrganizationId = organization.Value,
        };
    }
}
