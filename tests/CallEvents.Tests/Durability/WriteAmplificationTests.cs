using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace CallEvents.Tests.Durability;

/// <summary>
/// One append per event: the bytes PostgreSQL writes for an entity grow with its events, not with their square (every
/// event used to rewrite the whole state, raw payloads included: 55 MB of WAL for the case below). WAL is counted for
/// the whole server, so this test has a server of its own: nothing else writes while it measures.
/// </summary>
public sealed class WriteAmplificationTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset At = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_thousand_node_events_of_900_bytes_into_one_execution_write_at_most_3_MB_of_WAL()
    {
        await using var server = await PostgresServer.CreateAsync();
        var db = await server.CreateDatabaseAsync("wal");
        // The default rate limit (200/s, burst 400) would answer part of this burst 503, as it should.
        await using var host = await HostInstance.StartAsync(db, $"wal-{Guid.NewGuid():N}", ["--Security:RateLimit:PermitsPerSecond=100000", "--Security:RateLimit:Burst=100000"]);
        var id = $"exec-{Guid.NewGuid():N}";
        var bodies = Enumerable.Range(0, 1000).Select(i => NodeEvent(id, i)).ToList();
        Assert.All(bodies, b => Assert.InRange(b.Length, 850, 950));

        var before = await WalPositionAsync(db);
        foreach (var body in bodies)
        {
            Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", body)).StatusCode);
        }

        var written = await WalBytesSinceAsync(db, before);
        output.WriteLine($"WAL written for 1,000 node events: {written:N0} bytes ({bodies.Sum(b => b.Length):N0} bytes of payload)");
        var snapshot = await Http.WebhookHttpTests.JsonAsync(await host.Http.GetAsync($"/workflows/{id}"));
        Assert.Equal(1000, snapshot["nodeExecutions"]!.GetValue<int>());
        Assert.True(written <= 3 * 1024 * 1024, $"{written:N0} bytes of WAL for 1,000 events of ~0.9 KB ({bodies.Sum(b => b.Length):N0} bytes of payload)");
    }

    private static byte[] NodeEvent(string executionId, int i)
    {
        var json = JsonNode.Parse(FixtureFiles.SubVerseWorkflow("workflow.node_execution", executionId, At.AddSeconds(i), $"node-{i}"))!.AsObject();
        var size = Encoding.UTF8.GetByteCount(json.ToJsonString());
        json["data"]!["notes"] = new string('x', Math.Max(0, 880 - size));
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static async Task<string> WalPositionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_current_wal_lsn()::text", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> WalBytesSinceAsync(string connectionString, string lsn)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @lsn::pg_lsn)::bigint", connection);
        command.Parameters.AddWithValue("lsn", lsn);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
