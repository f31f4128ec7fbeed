using System.Collections.Concurrent;
using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using static CallEvents.Tests.Http.WebhookHttpTests;
using Xunit.Abstractions;

namespace CallEvents.Tests.Durability;

/// <summary>
/// A real crash: the silo process is SIGKILLed while deliveries are in flight, then started again. Nothing it
/// acknowledged may be lost, and every acknowledged PCA must still get its follow-up callback, once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CrashTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_killed_mid_stream_keeps_every_acknowledged_event_and_callback()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var cluster = new LocalCluster(await postgres.Server.CreateDatabaseAsync("crash"), silos: 1, FollowUpHostArgs.For(receiver));
        await cluster.StartAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var run = Guid.NewGuid().ToString("N")[..8];
        var deliveries = Enumerable.Range(0, 60)
            .SelectMany(i => new[] { ($"crash-{run}-{i}", "CallHandler.CallStarted", 1762670195m), ($"crash-{run}-{i}", "callAnalysis.pcaCompleted", 1762670301m) })
            .ToList();
        var acknowledged = new ConcurrentBag<(string CallId, string EventName)>();
        var killed = 0;
        Task? kill = null;
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (d, ct) =>
        {
            try
            {
                using var content = new ByteArrayContent(FixtureFiles.Verbex(d.Item2, d.Item1, $"{d.Item1}-{d.Item2}", d.Item3));
                content.Headers.ContentType = new("application/json");
                using var response = await client.PostAsync(new Uri(cluster.Url(1), "/webhooks/verbex"), content, ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged.Add((d.Item1, d.Item2));
                    if (acknowledged.Count >= 40 && Interlocked.Exchange(ref killed, 1) == 0)
                    {
                        kill = cluster.KillAsync(1);
                    }
                }
            }
            catch (HttpRequestException)
            {
                // In flight when the process died, or sent after: not acknowledged, so the provider would retry.
            }
            catch (TaskCanceledException)
            {
            }
        });
        Assert.NotNull(kill);
        await kill;
        Assert.True(acknowledged.Count < deliveries.Count, "the kill must have cut the stream short");
        output.WriteLine($"{acknowledged.Count} of {deliveries.Count} deliveries acknowledged before the kill");

        await cluster.StartAsync();
        foreach (var call in acknowledged.GroupBy(a => a.CallId))
        {
            System.Text.Json.Nodes.JsonObject? snapshot = null;
            await Wait.UntilAsync(
                async () =>
                {
                    var response = await client.GetAsync(new Uri(cluster.Url(1), $"/calls/verbex/{call.Key}"));
                    snapshot = response.StatusCode == HttpStatusCode.OK ? await JsonAsync(response) : null;
                    return snapshot is not null;
                },
                TimeSpan.FromSeconds(60),
                $"call {call.Key} readable after the restart");
            Assert.True(snapshot!["eventCount"]!.GetValue<int>() >= call.Distinct().Count(), $"{call.Key} lost an acknowledged event");
            if (call.Any(a => a.EventName == "callAnalysis.pcaCompleted"))
            {
                Assert.Equal("PcaReady", snapshot["status"]!.GetValue<string>());
            }
        }

        var pcaReady = acknowledged.Where(a => a.EventName == "callAnalysis.pcaCompleted").Select(a => $"verbex/{a.CallId}").Distinct().ToList();
        await Wait.UntilAsync(
            () => pcaReady.All(key => receiver.For(key).Any(r => r.Path == "/pca")),
            TimeSpan.FromSeconds(90),
            $"a PCA callback for each of the {pcaReady.Count} acknowledged PCA-ready calls");
        output.WriteLine($"{pcaReady.Count} acknowledged PCA-ready calls; {receiver.All.Count(r => r.Path == "/pca")} PCA callbacks received");
        foreach (var key in pcaReady)
        {
            // At-least-once delivery: a callback sent just before the kill may be sent again, but always as the same action.
            Assert.Single(receiver.For(key).Where(r => r.Path == "/pca").Select(r => r.IdempotencyKey).Distinct());
        }
    }
}
