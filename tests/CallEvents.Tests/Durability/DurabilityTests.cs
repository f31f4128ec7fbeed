using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.Durability;

/// <summary>PostgreSQL mode end to end: real server, real hosts, real HTTP.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DurabilityTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset At = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Acknowledged_events_survive_a_restart_of_every_silo()
    {
        var db = await postgres.Server.CreateDatabaseAsync("restart");
        var cluster = $"restart-{Guid.NewGuid():N}";
        var callId = $"c-{Guid.NewGuid():N}";
        var started = FixtureFiles.Verbex("CallHandler.CallStarted", callId, $"{callId}-s", 1762670195m);
        var pca = FixtureFiles.Verbex("callAnalysis.pcaCompleted", callId, $"{callId}-p", 1762670300m);
        string before;
        await using (var first = await HostInstance.StartAsync(db, cluster))
        {
            Assert.Equal(HttpStatusCode.OK, (await first.PostAsync("verbex", pca)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await first.PostAsync("verbex", started)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await first.PostAsync("verbex", started)).StatusCode);
            before = (await JsonAsync(await first.Http.GetAsync($"/calls/verbex/{callId}"))).ToJsonString();
        }

        await using var second = await HostInstance.StartAsync(db, cluster);
        var after = await JsonAsync(await second.Http.GetAsync($"/calls/verbex/{callId}"));
        Assert.Equal(before, after.ToJsonString());
        Assert.Equal(2, after["eventCount"]!.GetValue<int>());
        Assert.Equal(1, after["duplicateCount"]!.GetValue<int>());

        var again = await second.PostAsync("verbex", pca);
        Assert.True((await JsonAsync(again))["duplicate"]!.GetValue<bool>(), "a delivery accepted before the restart must still be a duplicate after it");
        var history = await JsonAsync(await second.Http.GetAsync($"/calls/verbex/{callId}/events"));
        Assert.Equal(System.Text.Json.Nodes.JsonNode.Parse(pca)!.ToJsonString(), history["events"]![0]!["payload"]!.ToJsonString());
    }

    [Fact]
    public async Task Two_silos_clustered_through_postgres_see_one_consistent_call()
    {
        var db = await postgres.Server.CreateDatabaseAsync("cluster");
        var cluster = $"pair-{Guid.NewGuid():N}";
        await using var a = await HostInstance.StartAsync(db, cluster);
        await using var b = await HostInstance.StartAsync(db, cluster);
        var callId = $"c-{Guid.NewGuid():N}";
        byte[][] events =
        [
            FixtureFiles.SubVerseCall("call.in_queue", callId, At, withAnalysis: false),
            FixtureFiles.SubVerseCall("call.placed", callId, At.AddSeconds(2), withAnalysis: false),
            FixtureFiles.SubVerseCall("call.completed", callId, At.AddSeconds(90)),
        ];
        for (var i = 0; i < events.Length; i++)
        {
            var through = i % 2 == 0 ? a : b;
            Assert.Equal(HttpStatusCode.OK, (await through.PostAsync("subverse", events[i])).StatusCode);
        }

        Assert.True((await JsonAsync(await b.PostAsync("subverse", events[0])))["duplicate"]!.GetValue<bool>());
        var fromA = await JsonAsync(await a.Http.GetAsync($"/calls/subverse/{callId}"));
        var fromB = await JsonAsync(await b.Http.GetAsync($"/calls/subverse/{callId}"));
        Assert.Equal(fromA.ToJsonString(), fromB.ToJsonString());
        Assert.Equal("PcaReady", fromA["status"]!.GetValue<string>());
        Assert.Equal(3, fromA["eventCount"]!.GetValue<int>());
        Assert.Equal(1, fromA["duplicateCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Concurrent_deliveries_through_two_silos_lose_no_update()
    {
        var db = await postgres.Server.CreateDatabaseAsync("race");
        var cluster = $"race-{Guid.NewGuid():N}";
        await using var a = await HostInstance.StartAsync(db, cluster);
        await using var b = await HostInstance.StartAsync(db, cluster);
        var executionId = $"x-{Guid.NewGuid():N}";
        var bodies = Enumerable.Range(0, 40)
            .Select(i => FixtureFiles.SubVerseWorkflow("workflow.node_execution", executionId, At.AddSeconds(i), $"node-{i}"))
            .ToList();

        // Each delivery is retried on 503 as a provider would; every one must end acknowledged exactly once.
        var answers = await Task.WhenAll(bodies.Select((body, i) => DeliverUntilAcknowledgedAsync(i % 2 == 0 ? a : b, "subverse", body)));
        Assert.All(answers, duplicate => Assert.False(duplicate));

        var snapshot = await JsonAsync(await a.Http.GetAsync($"/workflows/{executionId}"));
        Assert.Equal(40, snapshot["eventCount"]!.GetValue<int>());
        Assert.Equal(40, snapshot["nodeExecutions"]!.GetValue<int>());
        Assert.Equal(0, snapshot["duplicateCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task With_postgres_stopped_ingress_answers_503_and_nothing_acknowledged_is_lost()
    {
        Assert.True(postgres.Server.CanRestart, "this test needs the throwaway server (not CALLEVENTS_TEST_POSTGRES)");
        var db = await postgres.Server.CreateDatabaseAsync("outage");
        var cluster = $"outage-{Guid.NewGuid():N}";
        var callId = $"c-{Guid.NewGuid():N}";
        var queued = FixtureFiles.SubVerseCall("call.in_queue", callId, At, withAnalysis: false);
        var placed = FixtureFiles.SubVerseCall("call.placed", callId, At.AddSeconds(3), withAnalysis: false);
        var other = FixtureFiles.SubVerseCall("call.placed", $"{callId}-other", At, withAnalysis: false);
        await using (var host = await HostInstance.StartAsync(db, cluster))
        {
            Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", queued)).StatusCode);

            await postgres.Server.StopAsync();
            try
            {
                // An active grain (its state is in memory) and a new one must both refuse to acknowledge.
                foreach (var body in new[] { placed, other })
                {
                    var refused = await host.PostAsync("subverse", body);
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                    Assert.True(refused.Headers.RetryAfter is not null, "503 must carry Retry-After");
                }
            }
            finally
            {
                await postgres.Server.StartAsync();
            }

            Assert.False(await DeliverUntilAcknowledgedAsync(host, "subverse", placed));
            Assert.False(await DeliverUntilAcknowledgedAsync(host, "subverse", other));
            Assert.True(await DeliverUntilAcknowledgedAsync(host, "subverse", queued));
        }

        await using var restarted = await HostInstance.StartAsync(db, cluster);
        var snapshot = await JsonAsync(await restarted.Http.GetAsync($"/calls/subverse/{callId}"));
        Assert.Equal("Placed", snapshot["status"]!.GetValue<string>());
        Assert.Equal(2, snapshot["eventCount"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await restarted.Http.GetAsync($"/calls/subverse/{callId}-other")).StatusCode);
    }

    [Fact]
    public async Task Erasure_removes_payloads_from_postgres_and_a_redelivery_after_a_restart_is_still_a_duplicate()
    {
        var db = await postgres.Server.CreateDatabaseAsync("erasure");
        var cluster = $"erasure-{Guid.NewGuid():N}";
        var callId = $"c-{Guid.NewGuid():N}";
        var placed = FixtureFiles.SubVerseCall("call.placed", callId, At, withAnalysis: false);
        await using (var host = await HostInstance.StartAsync(db, cluster))
        {
            Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", placed)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", FixtureFiles.SubVerseCall("call.completed", callId, At.AddSeconds(60)))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await host.Http.DeleteAsync($"/calls/subverse/{callId}")).StatusCode);
        }

        await using (var connection = new Npgsql.NpgsqlConnection(db))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT (SELECT count(*) FROM callevents_journal WHERE payload IS NOT NULL AND stream LIKE '%' || @id || '%') + (SELECT count(*) FROM callevents_entities WHERE entity_id = @id)",
                connection);
            command.Parameters.AddWithValue("id", callId);
            Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
        }

        await using var restarted = await HostInstance.StartAsync(db, cluster);
        var again = await restarted.PostAsync("subverse", placed);
        Assert.True((await JsonAsync(again))["duplicate"]!.GetValue<bool>(), "an erased delivery comes back as a duplicate, not as a new call");
        Assert.Equal(HttpStatusCode.NotFound, (await restarted.Http.GetAsync($"/calls/subverse/{callId}")).StatusCode);
    }

    /// <summary>Posts like a retrying provider: again on 503 until a 2xx, which it returns as "was a duplicate".</summary>
    internal static async Task<bool> DeliverUntilAcknowledgedAsync(HostInstance host, string source, byte[] body)
    {
        bool? duplicate = null;
        await Wait.UntilAsync(
            async () =>
            {
                var response = await host.PostAsync(source, body);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                duplicate = (await JsonAsync(response))["duplicate"]!.GetValue<bool>();
                return true;
            },
            TimeSpan.FromSeconds(60),
            $"a 2xx for a {source} delivery to {host.BaseAddress}");
        return duplicate!.Value;
    }
}
