using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.Durability;

/// <summary>
/// The scripted check of deploy/local-cluster.sh: three silo processes on one PostgreSQL database, one call's
/// events sent to different silos, one consistent snapshot read from each.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LocalClusterScriptTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Three_silo_processes_share_one_consistent_call()
    {
        await using var cluster = new LocalCluster(await postgres.Server.CreateDatabaseAsync("script"), silos: 3);
        await cluster.StartAsync();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var callId = $"c-{Guid.NewGuid():N}";
        string[] names = ["CallHandler.CallStarted", "CallHandler.CallEnded", "callAnalysis.pcaCompleted"];
        decimal[] times = [1762670195m, 1762670290m, 1762670301m];
        for (var i = 0; i < 3; i++)
        {
            // Reverse order, each through another process.
            var which = 2 - i;
            using var content = new ByteArrayContent(FixtureFiles.Verbex(names[which], callId, $"{callId}-{which}", times[which]));
            content.Headers.ContentType = new("application/json");
            var response = await client.PostAsync(new Uri(cluster.Url(i + 1), "/webhooks/verbex"), content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var snapshots = new List<string>();
        for (var silo = 1; silo <= 3; silo++)
        {
            var snapshot = await JsonAsync(await client.GetAsync(new Uri(cluster.Url(silo), $"/calls/verbex/{callId}")));
            Assert.Equal("PcaReady", snapshot["status"]!.GetValue<string>());
            Assert.Equal(3, snapshot["eventCount"]!.GetValue<int>());
            Assert.Empty(snapshot["missingPhases"]!.AsArray());
            snapshots.Add(snapshot.ToJsonString());
        }

        Assert.All(snapshots, s => Assert.Equal(snapshots[0], s));
    }
}
