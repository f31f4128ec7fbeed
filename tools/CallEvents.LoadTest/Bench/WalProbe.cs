using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CallEvents.Ingress;
using CallEvents.Ingress.Adapters;
using CallEvents.LoadTest.Reporting;
using CallEvents.LoadTest.Targets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CallEvents.LoadTest.Bench;

/// <summary>
/// Write amplification: 1,000 <c>workflow.node_execution</c> deliveries of about 0.9 KB into one execution, sent one
/// after another through the grain API of a one-silo PostgreSQL cluster; the WAL PostgreSQL wrote meanwhile (for the
/// whole server, which runs nothing else then), and the wall time of the last 250 against the first 250 (a cost per
/// event that grows with the entity shows as a ratio above 1).
/// </summary>
public static class WalProbe
{
    private const int Events = 1000;

    public static async Task<WalReport> MeasureAsync(PostgresProvider postgres, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        ArgumentNullException.ThrowIfNull(log);
        await log.WriteLineAsync("write amplification: 1,000 node events of ~0.9 KB into one execution (grain API, PostgreSQL)...");
        var database = await postgres.DatabaseAsync("bench_wal");
        await using var cluster = await GrainCluster.StartAsync(1, database);
        var grains = cluster.Factories[0];
        var adapter = new SubVerseAdapter(Options.Create(new IngressOptions()));
        var executionId = $"wal-{Guid.NewGuid():N}";
        var grain = grains.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, executionId));
        var bodies = Enumerable.Range(0, Events).Select(i => Body(executionId, i)).ToList();

        var before = await WalPositionAsync(postgres.AdminConnectionString);
        var quarters = new double[4];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Events; i++)
        {
            using var document = JsonDocument.Parse(bodies[i]);
            var incoming = adapter.Parse(new WebhookRequest(bodies[i], document.RootElement, new HeaderDictionary(), DateTimeOffset.UtcNow)).Event
                ?? throw new InvalidOperationException("the adapter refused a generated node event");
            var result = await grain.IngestAsync(incoming).WaitAsync(cancellationToken);
            if (result.Status != IngestStatus.Accepted)
            {
                throw new InvalidOperationException($"node event {i} was answered {result.Status}: {result.Detail}");
            }

            if ((i + 1) % (Events / 4) == 0)
            {
                quarters[i / (Events / 4)] = clock.Elapsed.TotalMilliseconds - quarters.Take(i / (Events / 4)).Sum();
            }
        }

        var wal = await WalBytesSinceAsync(postgres.AdminConnectionString, before);
        var payload = bodies.Sum(b => (long)b.Length);
        return new WalReport(Events, payload, wal, quarters[0], quarters[3], quarters[3] / quarters[0]);
    }

    private static byte[] Body(string executionId, int i)
    {
        var json = new JsonObject
        {
            ["eventType"] = "workflow.node_execution",
            ["createdAt"] = DateTimeOffset.UnixEpoch.AddSeconds(1_780_000_000 + i).ToString("O"),
            ["data"] = new JsonObject
            {
                ["executionId"] = executionId,
                ["workflowId"] = "wf_bench",
                ["workflowName"] = "Write amplification",
                ["status"] = "node_execution",
                ["nodeName"] = $"node-{i}",
                ["nodesExecuted"] = i + 1,
            },
        };
        var size = Encoding.UTF8.GetByteCount(json.ToJsonString());
        json["data"]!["notes"] = new string('x', Math.Max(0, 900 - size - 12));
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
