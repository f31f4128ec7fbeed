using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace CallEvents.Lifecycle;

/// <summary>
/// Emissions of a lifecycle grain (rule 5): staged in the same journal record as the change that caused them, published
/// after that record is durable, and republished when due until every registered consumer confirmed. Delivery is
/// at-least-once; consumers decide once per emission id.
/// </summary>
internal sealed class Outbox(FollowUpRegistry consumers, ILogger logger, string key)
{
    /// <summary>The emissions among <paramref name="candidates"/> not made before, each awaiting its namespace's consumers.</summary>
    public ImmutableArray<PendingEmission> Stage(EntityState state, IEnumerable<LifecycleEvent> candidates)
    {
        var staged = ImmutableArray.CreateBuilder<PendingEmission>();
        foreach (var emission in candidates)
        {
            if (state.Emitted.Contains(EntityState.MarkerOf(emission)) || staged.Any(s => EntityState.MarkerOf(s.Event) == EntityState.MarkerOf(emission)))
            {
                continue;
            }

            var pending = new PendingEmission(emission, consumers.ConsumersOf(emission.Namespace));
            LifecycleMessages.Emitted(logger, key, emission.Namespace, emission.EmissionId, pending.AwaitingConsumers.Count);
            staged.Add(pending);
        }

        return staged.ToImmutable();
    }

    /// <summary>The confirmation <paramref name="consumer"/> gives for <paramref name="emissionId"/>, if it is awaited.</summary>
    public static ImmutableArray<EmissionConfirmation> Confirm(EntityState state, Guid emissionId, string consumer) =>
        state.Pending.Any(p => p.Event.EmissionId == emissionId && p.AwaitingConsumers.Contains(consumer))
            ? [new EmissionConfirmation(emissionId, consumer)]
            : [];

    /// <summary>
    /// Consumers awaited that this deployment no longer registers: they would never confirm, so they are dropped as if
    /// they had.
    /// </summary>
    public ImmutableArray<EmissionConfirmation> Unregistered(EntityState state) =>
        [.. state.Pending.SelectMany(p => p.AwaitingConsumers
            .Where(c => !consumers.ConsumersOf(p.Event.Namespace).Contains(c))
            .Select(c => new EmissionConfirmation(p.Event.EmissionId, c)))];

    /// <summary>Counts the emissions of an entry that was just stored (<c>callevents.emissions.published</c>).</summary>
    public static void Stored(IEnumerable<PendingEmission> emitted)
    {
        foreach (var emission in emitted)
        {
            CallEventsTelemetry.Emissions.Add(1, new KeyValuePair<string, object?>("callevents.namespace", emission.Event.Namespace));
        }
    }

    /// <summary>The observer that keeps <see cref="CallEventsTelemetry.Pending"/> up to date with a grain's state.</summary>
    public static Action<EntityState?> ReportPending(string key) => state =>
    {
        if (state is null)
        {
            CallEventsTelemetry.Pending.Forget(key);
        }
        else
        {
            CallEventsTelemetry.Pending.Report(key, state.Pending.Select(p => p.Event.EmittedAt));
        }
    };

    /// <summary>Publishes each emission on its namespace's stream; a failure leaves it pending for the next wake.</summary>
    public async Task PublishAsync(IStreamProvider streams, IEnumerable<PendingEmission> emissions)
    {
        foreach (var emission in emissions)
        {
            try
            {
                var stream = streams.GetStream<LifecycleEvent>(StreamId.Create(emission.Event.Namespace, key));
                await stream.OnNextAsync(emission.Event);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LifecycleMessages.PublishFailed(logger, ex, key, emission.Event.Namespace);
            }
        }
    }
}
