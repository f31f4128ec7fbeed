using CallEvents.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Grains;

/// <summary>One call's lifecycle, keyed <c>{source}/{callId}</c>.</summary>
public sealed class CallGrain(
    [PersistentState("call", Names.GrainStorage)] IPersistentState<EventLogState> state,
    IOptions<ProcessingOptions> options,
    ILogger<CallGrain> logger)
    : EventLogGrain<CallSnapshot>(state, options, logger), ICallGrain
{
    /// <inheritdoc/>
    protected override EntityKind Kind => EntityKind.Call;

    /// <inheritdoc/>
    public Task<IngestResult> IngestAsync(IncomingEvent incoming) => IngestCoreAsync(incoming);

    /// <inheritdoc/>
    public Task<CallSnapshot?> GetSnapshotAsync() => GetSnapshotCoreAsync();

    /// <inheritdoc/>
    public Task<EventHistory?> GetEventsAsync() => GetEventsCoreAsync();

    /// <inheritdoc/>
    protected override string KeyOf(IncomingEvent incoming) => GrainKeys.Call(incoming.Source, incoming.EntityId);

    /// <inheritdoc/>
    protected override int RankOf(IncomingEvent incoming) => CallReconciler.RankOf(incoming);

    /// <inheritdoc/>
    protected override int StatusRankOf(CallSnapshot snapshot) => PhaseRanks.Of(snapshot.Status);

    /// <inheritdoc/>
    protected override CallSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount) =>
        CallReconciler.Reconcile(key, events, duplicateCount);
}
