namespace CallEvents;

/// <summary>One call's lifecycle, keyed <c>{source}/{callId}</c> (see <see cref="GrainKeys.Call"/>).</summary>
public interface ICallGrain : IGrainWithStringKey
{
    /// <summary>Deduplicates, applies and durably stores one delivery; answers only after the write committed.</summary>
    Task<IngestResult> IngestAsync(IncomingEvent incoming);

    /// <summary>The reconciled snapshot, or null when no event was ever accepted for this call.</summary>
    Task<CallSnapshot?> GetSnapshotAsync();

    /// <summary>Accepted events with raw payloads in arrival order, or null for an unknown call.</summary>
    Task<EventHistory?> GetEventsAsync();

    /// <summary>A consumer confirms it durably handled an emission; the call stops republishing it to that consumer.</summary>
    Task ConfirmEmissionAsync(Guid emissionId, string consumer);
}

/// <summary>One workflow execution's lifecycle, keyed <c>{source}/{executionId}</c>.</summary>
public interface IWorkflowExecutionGrain : IGrainWithStringKey
{
    /// <summary>Deduplicates, applies and durably stores one delivery; answers only after the write committed.</summary>
    Task<IngestResult> IngestAsync(IncomingEvent incoming);

    /// <summary>The reconciled snapshot, or null when no event was ever accepted for this execution.</summary>
    Task<WorkflowSnapshot?> GetSnapshotAsync();

    /// <summary>Accepted events with raw payloads in arrival order, or null for an unknown execution.</summary>
    Task<EventHistory?> GetEventsAsync();

    /// <summary>A consumer confirms it durably handled an emission; the execution stops republishing it to that consumer.</summary>
    Task ConfirmEmissionAsync(Guid emissionId, string consumer);
}
