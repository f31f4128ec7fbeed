using System.Data;
using CallEvents.TestSupport;
using Npgsql;

namespace CallEvents.PostgreSql.Tests;

/// <summary>
/// Runs the stored query texts the way the Orleans ADO.NET providers do (parameters by name, typed
/// with the DbType Orleans maps each .NET type to) and checks the etag semantics they rely on.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class QueryContractTests : IAsyncLifetime
{
    private readonly PostgresServer _server;
    private string _connectionString = string.Empty;

    public QueryContractTests(PostgresFixture fixture)
    {
        _server = fixture.Server;
    }

    public async Task InitializeAsync()
    {
        _connectionString = await _server.CreateDatabaseAsync("contract");
        await PostgresSchema.ApplyAsync(_connectionString);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Membership_writes_require_the_current_table_version_and_change_nothing_otherwise()
    {
        const string Cluster = "c1";
        Assert.Equal(1, await ScalarAsync<int>("InsertMembershipVersionKey", Param("DeploymentId", Cluster)));
        Assert.Equal(0, await ScalarAsync<int>("InsertMembershipVersionKey", Param("DeploymentId", Cluster)));
        Assert.Equal(0, await TableVersionAsync(Cluster));

        Assert.Equal(1, await ScalarAsync<int>("InsertMembershipKey", InsertSilo(Cluster, port: 11111, version: 0)));
        Assert.Equal(1, await TableVersionAsync(Cluster));

        // Stale version: nothing inserted, version unchanged.
        Assert.Equal(0, await ScalarAsync<int>("InsertMembershipKey", InsertSilo(Cluster, port: 22222, version: 0)));
        // Current version but the silo row exists already: the version bump is rolled back too.
        Assert.Equal(0, await ScalarAsync<int>("InsertMembershipKey", InsertSilo(Cluster, port: 11111, version: 1)));
        Assert.Equal(1, await TableVersionAsync(Cluster));

        Assert.Equal(1, await ScalarAsync<int>("UpdateMembershipKey", UpdateSilo(Cluster, port: 11111, status: 3, version: 1)));
        Assert.Equal(2, await TableVersionAsync(Cluster));
        Assert.Equal(0, await ScalarAsync<int>("UpdateMembershipKey", UpdateSilo(Cluster, port: 11111, status: 4, version: 1)));
        // Unknown silo under the current version: no change, version not bumped.
        Assert.Equal(0, await ScalarAsync<int>("UpdateMembershipKey", UpdateSilo(Cluster, port: 33333, status: 3, version: 2)));
        Assert.Equal(2, await TableVersionAsync(Cluster));

        var rows = await ReadRowsAsync("MembershipReadAllKey", Param("DeploymentId", Cluster));
        var row = Assert.Single(rows);
        Assert.Equal(3, row["Status"]);
        Assert.Equal(2, row["Version"]);
        Assert.Equal("127.0.0.1", row["Address"]);
        Assert.Equal(DateTimeKind.Utc, ((DateTime)row["StartTime"]!).Kind);

        // Reading a silo that is not registered still returns the version row.
        var missing = Assert.Single(await ReadRowsAsync("MembershipReadRowKey", Param("DeploymentId", Cluster), Param("Address", "127.0.0.1", DbType.AnsiString), Param("Port", 44444), Param("Generation", 7)));
        Assert.Null(missing["StartTime"]);
        Assert.Equal(2, missing["Version"]);

        var gateway = Assert.Single(await ReadRowsAsync("GatewaysQueryKey", Param("DeploymentId", Cluster), Param("Status", 3)));
        Assert.Equal(30000, gateway["ProxyPort"]);
    }

    [Fact]
    public async Task Concurrent_membership_inserts_with_the_same_version_let_exactly_one_win()
    {
        const string Cluster = "c2";
        await ScalarAsync<int>("InsertMembershipVersionKey", Param("DeploymentId", Cluster));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => ScalarAsync<int>("InsertMembershipKey", InsertSilo(Cluster, port: 40000 + i, version: 0)))));

        Assert.Equal(1, results.Sum());
        Assert.Equal(1, await TableVersionAsync(Cluster));
    }

    [Fact]
    public async Task Defunct_cleanup_removes_only_old_rows_of_silos_that_are_not_active()
    {
        const string Cluster = "c3";
        await ScalarAsync<int>("InsertMembershipVersionKey", Param("DeploymentId", Cluster));
        var old = DateTime.UtcNow.AddHours(-2);
        await ScalarAsync<int>("InsertMembershipKey", InsertSilo(Cluster, port: 1, version: 0, status: 6, aliveAt: old));
        await ScalarAsync<int>("InsertMembershipKey", InsertSilo(Cluster, port: 2, version: 1, status: 3, aliveAt: old));
        await ScalarAsync<int>("InsertMembershipKey", InsertSilo(Cluster, port: 3, version: 2, status: 6, aliveAt: DateTime.UtcNow));

        await ExecuteAsync("CleanupDefunctSiloEntriesKey", Param("DeploymentId", Cluster), Param("IAmAliveTime", DateTime.UtcNow.AddHours(-1)));

        var ports = (await ReadRowsAsync("MembershipReadAllKey", Param("DeploymentId", Cluster))).Select(r => (int)r["Port"]!).Order();
        Assert.Equal([2, 3], ports);
        Assert.Equal(3, await TableVersionAsync(Cluster));
    }

    [Fact]
    public async Task Grain_state_writes_follow_the_etag()
    {
        var key = StateKey("journal-1");

        Assert.Equal(1, await WriteStateAsync(key, version: null, payload: [1]));
        Assert.Null(await WriteStateAsync(key, version: null, payload: [2]));
        Assert.Equal(2, await WriteStateAsync(key, version: 1, payload: [3]));
        Assert.Equal(1, await WriteStateAsync(key, version: 1, payload: [4]));

        var stored = Assert.Single(await ReadRowsAsync("ReadFromStorageKey", key));
        Assert.Equal(new byte[] { 3 }, stored["PayloadBinary"]);
        Assert.Equal(2, stored["Version"]);

        Assert.Empty(await ReadRowsAsync("ClearStorageKey", [.. key, Param("GrainStateVersion", 1)]));
        Assert.Equal(3, Assert.Single(await ReadRowsAsync("ClearStorageKey", [.. key, Param("GrainStateVersion", 2)]))["NewGrainStateVersion"]);
        var cleared = Assert.Single(await ReadRowsAsync("ReadFromStorageKey", key));
        Assert.Null(cleared["PayloadBinary"]);
        Assert.Equal(3, cleared["Version"]);

        Assert.Equal(4, Assert.Single(await ReadRowsAsync("DeleteStorageKey", [.. key, Param("GrainStateVersion", 3)]))["NewGrainStateVersion"]);
        Assert.Empty(await ReadRowsAsync("ReadFromStorageKey", key));

        // String keys and keys with a NULL extension are told apart.
        var other = StateKey("journal-1", extension: null);
        Assert.Empty(await ReadRowsAsync("ReadFromStorageKey", other));
        Assert.Equal(1, await WriteStateAsync(other, version: null, payload: [9]));
        Assert.Empty(await ReadRowsAsync("ReadFromStorageKey", key));
    }

    [Fact]
    public async Task Concurrent_first_writes_of_a_grain_state_insert_one_row()
    {
        var key = StateKey("journal-race");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => WriteStateAsync(key, version: null, payload: [(byte)i]))));

        Assert.Equal(1, results.Count(r => r == 1));
        Assert.Equal(7, results.Count(r => r is null));
        Assert.Single(await ReadRowsAsync("ReadFromStorageKey", key));
    }

    [Fact]
    public async Task Reminder_rows_are_upserted_read_by_range_and_deleted_by_etag()
    {
        const string Service = "svc";
        var start = new DateTime(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);

        Assert.Equal(0, await ScalarAsync<int>("UpsertReminderRowKey", Reminder(Service, "grain/a", "r1", start, hash: 100, periodMs: 60_000)));
        Assert.Equal(1, await ScalarAsync<int>("UpsertReminderRowKey", Reminder(Service, "grain/a", "r1", start, hash: 100, periodMs: 3_000_000_000L)));
        await ScalarAsync<int>("UpsertReminderRowKey", Reminder(Service, "grain/b", "r1", start, hash: -100, periodMs: 60_000));

        var row = Assert.Single(await ReadRowsAsync("ReadReminderRowKey", Param("ServiceId", Service), Param("GrainId", "grain/a", DbType.AnsiString), Param("ReminderName", "r1")));
        Assert.Equal(start, row["StartTime"]);
        Assert.Equal(3_000_000_000L, row["Period"]);
        Assert.Single(await ReadRowsAsync("ReadReminderRowsKey", Param("ServiceId", Service), Param("GrainId", "grain/b", DbType.AnsiString)));

        // (0, 200]: only grain/a; wrapping range (200, -50]: only grain/b.
        Assert.Equal("grain/a", Assert.Single(await ReadRowsAsync("ReadRangeRows1Key", Param("ServiceId", Service), Param("BeginHash", 0), Param("EndHash", 200)))["GrainId"]);
        Assert.Equal("grain/b", Assert.Single(await ReadRowsAsync("ReadRangeRows2Key", Param("ServiceId", Service), Param("BeginHash", 200), Param("EndHash", -50)))["GrainId"]);

        Assert.Equal(0, await ScalarAsync<int>("DeleteReminderRowKey", Param("ServiceId", Service), Param("GrainId", "grain/a", DbType.AnsiString), Param("ReminderName", "r1"), Param("Version", 0)));
        Assert.Equal(1, await ScalarAsync<int>("DeleteReminderRowKey", Param("ServiceId", Service), Param("GrainId", "grain/a", DbType.AnsiString), Param("ReminderName", "r1"), Param("Version", 1)));

        await ExecuteAsync("DeleteReminderRowsKey", Param("ServiceId", Service));
        Assert.Empty(await ReadRowsAsync("ReadRangeRows2Key", Param("ServiceId", Service), Param("BeginHash", 0), Param("EndHash", 0)));
    }

    private static NpgsqlParameter Param(string name, object? value, DbType? dbType = null)
    {
        var parameter = new NpgsqlParameter { ParameterName = name, Value = value ?? DBNull.Value };
        parameter.DbType = dbType ?? value switch
        {
            int => DbType.Int32,
            long => DbType.Int64,
            DateTime => DbType.DateTime,
            byte[] => DbType.Binary,
            _ => DbType.String,
        };
        return parameter;
    }

    private static NpgsqlParameter[] InsertSilo(string cluster, int port, int version, int status = 2, DateTime? aliveAt = null) =>
    [
        Param("DeploymentId", cluster),
        Param("IAmAliveTime", aliveAt ?? DateTime.UtcNow),
        Param("SiloName", $"silo-{port}"),
        Param("HostName", "host"),
        Param("Address", "127.0.0.1", DbType.AnsiString),
        Param("Port", port),
        Param("Generation", 1),
        Param("StartTime", DateTime.UtcNow),
        Param("Status", status),
        Param("ProxyPort", 30000),
        Param("Version", version),
    ];

    private static NpgsqlParameter[] UpdateSilo(string cluster, int port, int status, int version) =>
    [
        Param("DeploymentId", cluster),
        Param("Address", "127.0.0.1", DbType.AnsiString),
        Param("Port", port),
        Param("Generation", 1),
        Param("IAmAliveTime", DateTime.UtcNow),
        Param("Status", status),
        Param("SuspectTimes", null, DbType.String),
        Param("Version", version),
    ];

    private static NpgsqlParameter[] StateKey(string key, string? extension = "ext") =>
    [
        Param("GrainIdHash", key.Length),
        Param("GrainIdN0", 0L),
        Param("GrainIdN1", 0L),
        Param("GrainTypeHash", 42),
        Param("GrainTypeString", "s"),
        Param("GrainIdExtensionString", extension is null ? null : key + extension, DbType.String),
        Param("ServiceId", "svc"),
    ];

    private static NpgsqlParameter[] Reminder(string service, string grainId, string name, DateTime start, int hash, long periodMs) =>
    [
        Param("ServiceId", service),
        Param("GrainHash", hash),
        Param("GrainId", grainId, DbType.AnsiString),
        Param("ReminderName", name),
        Param("StartTime", start),
        periodMs <= int.MaxValue ? Param("Period", (int)periodMs) : Param("Period", periodMs),
    ];

    private async Task<int?> WriteStateAsync(NpgsqlParameter[] key, int? version, byte[] payload)
    {
        var row = Assert.Single(await ReadRowsAsync(
            "WriteToStorageKey",
            [.. key.Select(p => p.Clone()), Param("GrainStateVersion", version, DbType.Int32), Param("PayloadBinary", payload)]));
        return (int?)row["NewGrainStateVersion"];
    }

    private async Task<int> TableVersionAsync(string cluster) =>
        (int)(await ReadRowsAsync("MembershipReadAllKey", Param("DeploymentId", cluster)))[0]["Version"]!;

    private async Task<T> ScalarAsync<T>(string queryKey, params NpgsqlParameter[] parameters)
    {
        var row = Assert.Single(await ReadRowsAsync(queryKey, parameters));
        return (T)Assert.Single(row.Values)!;
    }

    private async Task ExecuteAsync(string queryKey, params NpgsqlParameter[] parameters) => await ReadRowsAsync(queryKey, parameters);

    private async Task<List<Dictionary<string, object?>>> ReadRowsAsync(string queryKey, params NpgsqlParameter[] parameters)
    {
        var queries = await SchemaTests.ReadQueriesAsync(_connectionString);
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(queries[queryKey], connection);
        command.Parameters.AddRange(parameters.Select(p => p.Clone()).ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<Dictionary<string, object?>>();
        do
        {
            while (await reader.ReadAsync())
            {
                var row = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }
        }
        while (await reader.NextResultAsync());

        return rows;
    }
}
