using System.Text.Json;
using CallEvents.Ingress;
using CallEvents.Ingress.Adapters;
using CallEvents.LoadTest.Reporting;
using CallEvents.LoadTest.Workload;
using CallEvents.Lifecycle;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace CallEvents.LoadTest.Running;

/// <summary>
/// Bytes the journal writes for each event of typical entities: the serialized record (<c>EntityEntry</c>, Orleans
/// binary serializer) plus the raw body kept beside it. Nothing written is rewritten, so this stays flat as an entity
/// grows (it grew with every event when each write rewrote the whole state).
/// </summary>
public static class StateSizeProbe
{
    public static IReadOnlyList<StateSizeReport> Measure(Serializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        return
        [
            Probe(serializer, "Verbex call (3 events)", new WorkloadOptions { Calls = 1, Workflows = 0, VerbexShare = 1 }),
            Probe(serializer, "SubVerse call, completed with analysis (3 events)", new WorkloadOptions { Calls = 1, Workflows = 0, VerbexShare = 0, FailureRate = 0 }),
            Probe(serializer, "workflow execution, 3 nodes (6 events)", new WorkloadOptions { Calls = 0, Workflows = 1, NodesPerWorkflow = 3 }),
            Probe(serializer, "workflow execution, 100 nodes (103 events)", new WorkloadOptions { Calls = 0, Workflows = 1, NodesPerWorkflow = 100 }, every: 10),
        ];
    }

    private static StateSizeReport Probe(Serializer serializer, string name, WorkloadOptions options, int every = 1)
    {
        var generator = new WorkloadGenerator(options with { DuplicateRate = 0, ShuffleShare = 0, Window = 1 }, "probe000");
        var verbex = new VerbexAdapter();
        var subVerse = new SubVerseAdapter(Options.Create(new IngressOptions()));
        var sizes = new List<int>();
        var raw = 0;
        var count = 0;
        while (generator.TryNext(out var delivery))
        {
            var headers = new HeaderDictionary();
            foreach (var (key, value) in delivery.Headers)
            {
                headers[key] = value;
            }

            using var document = JsonDocument.Parse(delivery.Body);
            IProviderAdapter adapter = delivery.Entity.Type == EntityType.VerbexCall ? verbex : subVerse;
            var incoming = adapter.Parse(new WebhookRequest(delivery.Body, document.RootElement, headers, DateTimeOffset.UtcNow)).Event
                ?? throw new InvalidOperationException("the adapter refused a generated body");
            var record = new EntityEntry { Accepted = new StoredEvent(incoming with { RawPayload = [] }, false, true, delivery.Body.Length) };
            raw += delivery.Body.Length;
            count++;
            if (count % every == 0 || count == 1)
            {
                sizes.Add(serializer.SerializeToArray(record).Length + delivery.Body.Length);
            }
        }

        return new StateSizeReport(name, sizes, raw);
    }
}
