using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using CallEvents.TestSupport;

namespace CallEvents.Operations.Tests;

/// <summary>One trace per delivery: the HTTP request, the grain call and the journal write on a real PostgreSQL.</summary>
[Collection(OperationsCollection.Name)]
public sealed class TraceTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_delivery_is_one_trace_from_the_request_through_the_grain_call_to_the_journal_write()
    {
        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await using var host = await Hosts.StartPostgresAsync(await postgres.Server.CreateDatabaseAsync("traces"));

        // The provider's side of the trace: a traceparent we chose, sent by a client that adds none of its own.
        var traceId = ActivityTraceId.CreateRandom();
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator() }) { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/verbex")
        {
            Content = Deliveries.Json(Deliveries.Verbex("CallHandler.CallStarted", $"traced-{Guid.NewGuid():N}", Guid.NewGuid().ToString())),
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Activity? write = null;
        await Wait.UntilAsync(
            () => (write = stopped.FirstOrDefault(a => a.TraceId == traceId && a.OperationName == "callevents.journal.write")) is not null
                && stopped.Any(a => a.TraceId == traceId && a.Source.Name == "Microsoft.AspNetCore"),
            TimeSpan.FromSeconds(30),
            "the delivery's spans to end");

        var trace = stopped.Where(a => a.TraceId == traceId).ToList();
        var server = Assert.Single(trace, a => a.Source.Name == "Microsoft.AspNetCore" && a.Kind == ActivityKind.Server);
        Assert.Contains(trace, a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.Kind == ActivityKind.Server);
        Assert.Equal(CallEventsTelemetry.ActivitySourceName, write!.Source.Name);
        Assert.True(write.GetTagItem("callevents.journal.batch.size") is int size && size >= 1);

        // The write is inside the request: its ancestors lead to the HTTP server span.
        var ancestors = new HashSet<ActivitySpanId>();
        for (var parent = write.ParentSpanId; parent != default; parent = trace.FirstOrDefault(a => a.SpanId == parent)?.ParentSpanId ?? default)
        {
            ancestors.Add(parent);
        }

        Assert.Contains(server.SpanId, ancestors);

        // The group commit that carried it is a span of its own, linked to the write.
        Assert.Contains(stopped, a => a.OperationName == "callevents.journal.flush" && a.Links.Any(l => l.Context.SpanId == write.SpanId));
    }
}
