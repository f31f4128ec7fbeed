using System.Text.Json;
using CallEvents.Ingress;
using CallEvents.Ingress.Adapters;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CallEvents.LoadTest.Targets;

/// <summary>
/// Delivers through the grain API (<c>IngestAsync</c>) of the silos' grain factories, round-robin, after parsing
/// each body with the real provider adapter, so grain mode exercises the same normalization as HTTP ingress.
/// Each call has the ingress deadline (4 s by default); a timeout or a cluster error is an uncertain attempt.
/// Reads give the snapshot and the decisions of the cluster's <see cref="TallyFollowUpGrain"/> for the key.
/// </summary>
/// <param name="factories">The live silos' grain factories.</param>
/// <param name="timeout">The per-attempt deadline.</param>
/// <param name="trivial">Deliver to the bench's no-op <see cref="Bench.ITrivialGrain"/> instead (the ceiling).</param>
public sealed class GrainTarget(Func<IReadOnlyList<IGrainFactory>> factories, TimeSpan timeout, bool trivial = false) : IDeliveryTarget
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private readonly VerbexAdapter _verbex = new();
    private readonly SubVerseAdapter _subVerse = new(Options.Create(new IngressOptions()));
    private long _next;

    public string Description => "grain API (IngestAsync) of the silos' IGrainFactory, round-robin";

    public async Task<AttemptResult> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        IncomingEvent incoming;
        var headers = new HeaderDictionary { ["Content-Type"] = "application/json" };
        foreach (var (name, value) in delivery.Headers)
        {
            headers[name] = value;
        }

        using (var document = JsonDocument.Parse(delivery.Body, DocumentOptions))
        {
            IProviderAdapter adapter = delivery.Entity.Type == EntityType.VerbexCall ? _verbex : _subVerse;
            var parsed = adapter.Parse(new WebhookRequest(delivery.Body, document.RootElement, headers, DateTimeOffset.UtcNow));
            if (parsed.Problem is { } problem)
            {
                return new AttemptResult(AttemptOutcome.Rejected, $"400 {problem.Field}");
            }

            incoming = parsed.Event!;
        }

        var silos = factories();
        if (silos.Count == 0)
        {
            return new AttemptResult(AttemptOutcome.RetryNotProcessed, "no silo");
        }

        var grains = silos[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)silos.Count)];
        try
        {
            var call = trivial ? grains.GetGrain<Bench.ITrivialGrain>(GrainKeys.Call(incoming.Source, incoming.EntityId)).IngestAsync(incoming)
                : incoming.Entity == EntityKind.Call
                ? grains.GetGrain<ICallGrain>(GrainKeys.Call(incoming.Source, incoming.EntityId)).IngestAsync(incoming)
                : grains.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(incoming.Source, incoming.EntityId)).IngestAsync(incoming);
            var result = await call.WaitAsync(timeout, cancellationToken);
            return result.Status switch
            {
                IngestStatus.Accepted or IngestStatus.Unrecognized => AttemptResult.Ack(false),
                IngestStatus.Duplicate => AttemptResult.Ack(true),
                IngestStatus.Refused => new AttemptResult(AttemptOutcome.Rejected, "Refused (401)"),
                _ => new AttemptResult(AttemptOutcome.RetryUncertain, "NotStored (503)"),
            };
        }
        catch (TimeoutException)
        {
            return new AttemptResult(AttemptOutcome.RetryUncertain, "grain timeout");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new AttemptResult(AttemptOutcome.RetryUncertain, ex.GetType().Name);
        }
    }

    public async Task<ObservedSnapshot?> ReadAsync(EntityModel entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var silos = factories();
        var grains = silos[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)silos.Count)];
        ObservedSnapshot? observed;
        if (entity.IsWorkflow)
        {
            var workflow = await grains.GetGrain<IWorkflowExecutionGrain>(entity.Key).GetSnapshotAsync().WaitAsync(ReadTimeout, cancellationToken);
            observed = workflow is null ? null : SnapshotMapping.From(workflow);
        }
        else
        {
            var call = await grains.GetGrain<ICallGrain>(entity.Key).GetSnapshotAsync().WaitAsync(ReadTimeout, cancellationToken);
            observed = call is null ? null : SnapshotMapping.From(call);
        }

        if (observed is null)
        {
            return null;
        }

        // Every cluster this tool starts registers the tally follow-up (GrainCluster.StartAsync).
        var record = await grains.GetGrain<IFollowUpGrain>(entity.Key, TallyFollowUpGrain.Name).GetFollowUpsAsync().WaitAsync(ReadTimeout, cancellationToken);
        return SnapshotMapping.WithDecisions(observed, record?.Decisions ?? []);
    }
}
