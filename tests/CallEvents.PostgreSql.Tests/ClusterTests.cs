using CallEvents.TestSupport;
using Npgsql;
using Orleans.TestingHost;

namespace CallEvents.PostgreSql.Tests;

/// <summary>Two-silo Orleans clusters against a real database: membership, grain state and reminders.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly PostgresServer _server;

    public ClusterTests(PostgresFixture fixture)
    {
        _server = fixture.Server;
    }

    [Fact]
    public async Task Grain_state_survives_a_restart_of_the_whole_cluster()
    {
        var connectionString = await _server.CreateDatabaseAsync("cluster_state");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..8];

        await using (var cluster = PostgresTestCluster.Build(connectionString, serviceId, clusterId))
        {
            // The silos apply the schema themselves: the database starts empty.
            await cluster.DeployAsync();
            Assert.Equal(2, await CountAsync(connectionString, "SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = @id AND Status = 3", clusterId));

            var journal = cluster.GrainFactory.GetGrain<IJournalGrain>("call-1");
            await journal.Append("ringing");
            await journal.Append("answered");
            Assert.Equal(["ringing", "answered"], await journal.Read());

            await cluster.StopAllSilosAsync();
        }

        Assert.Equal(1, await CountAsync(connectionString, "SELECT count(*) FROM OrleansStorage WHERE ServiceId = @id AND Version = 2", serviceId));

        // A new cluster with the same identity, against the same database.
        await using (var cluster = PostgresTestCluster.Build(connectionString, serviceId, clusterId))
        {
            await cluster.DeployAsync();
            var journal = cluster.GrainFactory.GetGrain<IJournalGrain>("call-1");

            Assert.Equal(["ringing", "answered"], await journal.Read());
            await journal.Append("hung up");
            Assert.Equal(["ringing", "answered", "hung up"], await journal.Read());

            await cluster.StopAllSilosAsync();
        }

        Assert.Equal(1, await CountAsync(connectionString, "SELECT count(*) FROM OrleansStorage WHERE ServiceId = @id AND Version = 3", serviceId));
    }

    [Fact]
    public async Task Reminder_is_stored_and_fires()
    {
        var connectionString = await _server.CreateDatabaseAsync("cluster_reminder");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var grainKey = "probe-" + Guid.NewGuid().ToString("N")[..8];

        await using var cluster = PostgresTestCluster.Build(connectionString, serviceId, "cluster-" + Guid.NewGuid().ToString("N")[..8]);
        await cluster.DeployAsync();
        var probe = cluster.GrainFactory.GetGrain<IReminderProbeGrain>(grainKey);

        // Due in 1 s; the period respects ReminderOptions.MinimumReminderPeriod (1 minute by default).
        await probe.Start(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(1, await CountAsync(connectionString, "SELECT count(*) FROM OrleansRemindersTable WHERE ServiceId = @id", serviceId));

        await Wait.UntilAsync(
            () => ReminderProbeGrain.Ticks.TryGetValue(grainKey, out var ticks) && ticks > 0,
            Patience,
            $"reminder '{ReminderProbeGrain.ReminderName}' of grain {grainKey} to fire");

        await probe.Stop();
        Assert.Equal(0, await CountAsync(connectionString, "SELECT count(*) FROM OrleansRemindersTable WHERE ServiceId = @id", serviceId));

        await cluster.StopAllSilosAsync();
    }

    private static async Task<long> CountAsync(string connectionString, string sql, string id)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
