namespace CallEvents;

/// <summary>
/// A grain with a due time in the journal: one of the cluster's few sweepers wakes it when that time comes (a stall
/// deadline, an unconfirmed emission to republish, a follow-up action to run), instead of a reminder per grain.
/// </summary>
public interface IDueGrain : IGrainWithStringKey
{
    /// <summary>Does whatever has come due, and stores the next due time. Called by the sweepers; safe to repeat.</summary>
    Task WakeAsync();
}

/// <summary>One call's lifecycle, keyed <c>{source}/{callId}</c> (see <see cref="GrainKeys.Call"/>).</summary>
public interface ICallGrain : IDueGrain
{
    /// <summary>Deduplicates, applies and durably stores one delivery; answers only after the write committed.</summary>
    Task<IngestResult> IngestAsync(IncomingEvent incoming);

    /// <summary>The reconciled snapshot, or null when no event was ever accepted for this call.</summary>
    Task<CallSnapshot?> GetSnapshotAsync();

    /// <summary>
    /// Up to <paramref name="limit"/> accepted events with raw payloads, in arrival order, after the event numbered
    /// <paramref name="after"/> (0 for the first page); null for an unknown call.
    /// </summary>
    Task<EventHistory?> GetEventsAsync(int after, int limit);

    /// <summary>A consumer confirms it durably handled an emission; the call stops republishing it to that consumer.</summary>
    Task ConfirmEmissionAsync(Guid emissionId, string consumer);

    /// <summary>
    /// Erases the call: its events, payloads, snapshot and index entry are removed; only the dedup keys stay, so a later
    /// redelivery of an erased event is answered as a duplicate and does not recreate it. False for an unknown call.
    /// Erase its follow-ups too (<see cref="IFollowUpGrain.EraseAsync"/>; <c>GrainFactoryErasure.EraseCallAsync</c> does both).
    /// </summary>
    Task<bool> EraseAsync();
}

/// <summary>One workflow execution's lifecycle, keyed <c>{source}/{executionId}</c>.</summary>
public interface IWorkflowExecutionGrain : IDueGrain
{
    /// <summary>Deduplicates, applies and durably stores one delivery; answers only after the write committed.</summary>
    Task<IngestResult> IngestAsync(IncomingEvent incoming);

    /// <summary>The reconciled snapshot, or null when no event was ever accepted for this execution.</summary>
    Task<WorkflowSnapshot?> GetSnapshotAsync();

    /// <summary>
    /// Up to <paramref name="limit"/> accepted events with raw payloads, in arrival order, after the event numbered
    /// <paramref name="after"/> (0 for the first page); null for an unknown execution.
    /// </summary>
    Task<EventHistory?> GetEventsAsync(int after, int limit);

    /// <summary>A consumer confirms it durably handled an emission; the execution stops republishing it to that consumer.</summary>
    Task ConfirmEmissionAsync(Guid emissionId, string consumer);

    /// <summary>Erases the execution as <see cref="ICallGrain.EraseAsync"/> erases a call. False for an unknown execution.</summary>
    Task<bool> EraseAsync();
}
