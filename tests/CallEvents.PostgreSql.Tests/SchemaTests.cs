using System.Globalization;
using CallEvents.TestSupport;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Orleans;
using Orleans.Configuration;

namespace CallEvents.PostgreSql.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SchemaTests
{
    /// <summary>
    /// The query keys the Orleans 10.x ADO.NET providers load from OrleansQuery
    /// (DbStoredQueries of Orleans.Clustering.AdoNet and Orleans.Reminders.AdoNet; the query
    /// names AdoNetGrainStorage looks up). A missing clustering or reminder key stops the silo.
    /// </summary>
    internal static readonly string[] RequiredQueryKeys =
    [
        // Orleans.Clustering.AdoNet
        "GatewaysQueryKey",
        "MembershipReadRowKey",
        "MembershipReadAllKey",
        "InsertMembershipVersionKey",
        "UpdateIAmAlivetimeKey",
        "InsertMembershipKey",
        "UpdateMembershipKey",
        "DeleteMembershipTableEntriesKey",
        "CleanupDefunctSiloEntriesKey",

        // Orleans.Persistence.AdoNet (DeleteStorageKey only with DeleteStateOnClear)
        "WriteToStorageKey",
        "ReadFromStorageKey",
        "ClearStorageKey",
        "DeleteStorageKey",

        // Orleans.Reminders.AdoNet
        "ReadReminderRowsKey",
        "ReadRangeRows1Key",
        "ReadRangeRows2Key",
        "ReadReminderRowKey",
        "UpsertReminderRowKey",
        "DeleteReminderRowKey",
        "DeleteReminderRowsKey",
    ];

    private readonly PostgresServer _server;

    public SchemaTests(PostgresFixture fixture)
    {
        _server = fixture.Server;
    }

    [Fact]
    public void Scripts_are_embedded_in_file_name_order_and_take_the_advisory_lock()
    {
        Assert.Equal(
            ["001-main.sql", "002-clustering.sql", "003-persistence.sql", "004-reminders.sql", "005-journal.sql"],
            PostgresSchema.ScriptNames);

        var lockCall = $"pg_advisory_xact_lock({PostgresSchema.AdvisoryLockKey.ToString(CultureInfo.InvariantCulture)})";
        Assert.All(PostgresSchema.ScriptNames, name => Assert.Contains(lockCall, PostgresSchema.ReadScript(name), StringComparison.Ordinal));
    }

    [Fact]
    public void Schema_is_applied_before_any_provider_touches_the_database()
    {
        Assert.True(PostgresSchemaInitializer.Stage < ServiceLifecycleStage.RuntimeGrainServices, "membership and reminder tables start at RuntimeGrainServices");
        Assert.True(PostgresSchemaInitializer.Stage < AdoNetGrainStorageOptions.DEFAULT_INIT_STAGE, "grain storage initialises at its InitStage");
    }

    [Fact]
    public async Task Applying_twice_succeeds_and_registers_every_query_the_providers_need()
    {
        var connectionString = await _server.CreateDatabaseAsync("schema_twice");

        await PostgresSchema.ApplyAsync(connectionString);
        var first = await ReadQueriesAsync(connectionString);
        await PostgresSchema.ApplyAsync(connectionString);
        var second = await ReadQueriesAsync(connectionString);

        Assert.Equal(first, second);
        Assert.Empty(RequiredQueryKeys.Except(second.Keys, StringComparer.Ordinal));
        Assert.Equal(RequiredQueryKeys.Length, second.Count);
    }

    [Fact]
    public async Task Reapplying_restores_changed_query_texts()
    {
        var connectionString = await _server.CreateDatabaseAsync("schema_upgrade");
        await PostgresSchema.ApplyAsync(connectionString);
        var original = await ReadQueriesAsync(connectionString);
        await ExecuteAsync(connectionString, "UPDATE OrleansQuery SET QueryText = 'SELECT 1' WHERE QueryKey = 'WriteToStorageKey'");

        await PostgresSchema.ApplyAsync(connectionString);

        Assert.Equal(original["WriteToStorageKey"], (await ReadQueriesAsync(connectionString))["WriteToStorageKey"]);
    }

    [Fact]
    public async Task Concurrent_silos_apply_the_schema_to_a_fresh_database()
    {
        var connectionString = await _server.CreateDatabaseAsync("schema_concurrent");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresSchema.ApplyAsync(connectionString))));

        Assert.Equal(RequiredQueryKeys.Length, (await ReadQueriesAsync(connectionString)).Count);
    }

    [Fact]
    public async Task Concurrent_dba_runs_of_the_files_succeed_without_the_silo_lock()
    {
        // What four `psql --single-transaction -f` loops do at once: each file in its own
        // transaction, serialised only by the lock taken inside the file.
        var connectionString = await _server.CreateDatabaseAsync("schema_dba");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            foreach (var script in PostgresSchema.ScriptNames)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await using var command = new NpgsqlCommand(PostgresSchema.ReadScript(script), connection, transaction);
                await command.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            }
        })));

        Assert.Equal(RequiredQueryKeys.Length, (await ReadQueriesAsync(connectionString)).Count);
    }

    [Fact]
    public async Task Unreachable_database_fails_with_a_clear_message()
    {
        var port = FreePort.Get();
        var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=nowhere;Timeout=3";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchema.ApplyAsync(connectionString));

        Assert.Contains($"Cannot connect to PostgreSQL database 'nowhere' on 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
    }

    [Fact]
    public async Task Missing_database_is_not_retried()
    {
        var builder = new NpgsqlConnectionStringBuilder(_server.AdminConnectionString) { Database = "does_not_exist_" + Guid.NewGuid().ToString("N")[..8] };
        var logger = new FakeLogger();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchemaInitializer.ApplyWithRetriesAsync(
            builder.ConnectionString, logger, [TimeSpan.FromSeconds(30)], CancellationToken.None));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.False(Has(logger, 41005), "a missing database is not a transient failure");
    }

    [Fact]
    public async Task Startup_waits_for_a_database_that_comes_back()
    {
        Assert.True(_server.CanRestart, $"this test stops and restarts the server, so it needs the throwaway one (not {PostgresServer.ExternalServerVariable})");

        var connectionString = await _server.CreateDatabaseAsync("schema_retry");
        var logger = new FakeLogger();
        await _server.StopAsync();
        try
        {
            var delays = Enumerable.Repeat(TimeSpan.FromMilliseconds(250), 40).ToArray();
            var apply = PostgresSchemaInitializer.ApplyWithRetriesAsync(connectionString, logger, delays, CancellationToken.None);

            await Wait.UntilAsync(() => Has(logger, 41005), TimeSpan.FromSeconds(10), "a retry warning while the server is down");
            Assert.False(apply.IsCompleted);
            await _server.StartAsync();

            await apply.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await EnsureStartedAsync();
        }

        Assert.Equal(RequiredQueryKeys.Length, (await ReadQueriesAsync(connectionString)).Count);
    }

    [Fact]
    public async Task Startup_gives_up_with_a_clear_message_when_the_database_stays_down()
    {
        // A port nothing listens on refuses connections exactly as a stopped server's does, and works with any server.
        var connectionString = $"Host=127.0.0.1;Port={FreePort.Get()};Username=postgres;Database=schema_down;Timeout=3";
        var logger = new FakeLogger();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchemaInitializer.ApplyWithRetriesAsync(
            connectionString, logger, [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)], CancellationToken.None));

        Assert.Contains("still unreachable after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, logger.Collector.GetSnapshot().Count(e => e.Id.Id == 41005));
        Assert.True(Has(logger, 41006));
    }

    private static bool Has(FakeLogger logger, int eventId) => logger.Collector.GetSnapshot().Any(e => e.Id.Id == eventId);

    internal static async Task<Dictionary<string, string>> ReadQueriesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT QueryKey, QueryText FROM OrleansQuery", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var queries = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            queries.Add(reader.GetString(0), reader.GetString(1));
        }

        return queries;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task EnsureStartedAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(_server.AdminConnectionString);
            await connection.OpenAsync();
        }
        catch (NpgsqlException)
        {
            await _server.StartAsync();
        }
    }
}
