using Npgsql;

namespace CallEvents.LoadTest.Bench;

/// <summary>Cumulative per-database counters from pg_stat_database.</summary>
public sealed record DatabaseCounters(long Commits, long Rollbacks, long Inserted, long Updated, long Deleted, long Fetched, long BlocksHit, long BlocksRead)
{
    public DatabaseCounters Minus(DatabaseCounters before)
    {
        ArgumentNullException.ThrowIfNull(before);
        return new(Commits - before.Commits, Rollbacks - before.Rollbacks, Inserted - before.Inserted, Updated - before.Updated, Deleted - before.Deleted, Fetched - before.Fetched, BlocksHit - before.BlocksHit, BlocksRead - before.BlocksRead);
    }
}

/// <summary>One statement's totals from pg_stat_statements.</summary>
public sealed record StatementStat(string Query, long Calls, double TotalMs, double MeanMs, long Rows);

/// <summary>Stored grain state per grain type: rows and payload bytes.</summary>
public sealed record StorageSize(string GrainType, long Rows, double AverageBytes, long MaxBytes);

/// <summary>Reads PostgreSQL statistics for the profile: transactions, statements, stored state sizes.</summary>
public static class PgStats
{
    public static async Task<DatabaseCounters> CountersAsync(string adminConnectionString, string database)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using (var flush = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
        {
            await flush.ExecuteNonQueryAsync();
        }

        await using var read = new NpgsqlCommand(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, blks_hit, blks_read FROM pg_stat_database WHERE datname = $1",
            connection);
        read.Parameters.Add(new NpgsqlParameter { Value = database });
        await using var reader = await read.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return new DatabaseCounters(0, 0, 0, 0, 0, 0, 0, 0);
        }

        return new DatabaseCounters(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7));
    }

    public static async Task ResetStatementsAsync(string adminConnectionString)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var reset = new NpgsqlCommand("SELECT pg_stat_statements_reset()", connection);
        await reset.ExecuteNonQueryAsync();
    }

    public static async Task<IReadOnlyList<StatementStat>> TopStatementsAsync(string connectionString, string database, int limit)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand(
            """
            SELECT regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time, mean_exec_time, rows
              FROM pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)
             ORDER BY total_exec_time DESC
             LIMIT $2
            """,
            connection);
        read.Parameters.Add(new NpgsqlParameter { Value = database });
        read.Parameters.Add(new NpgsqlParameter { Value = limit });
        var list = new List<StatementStat>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var query = reader.GetString(0);
            list.Add(new StatementStat(query.Length > 160 ? query[..157] + "..." : query, reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetInt64(4)));
        }

        return list;
    }

    public static async Task<IReadOnlyList<StorageSize>> StorageSizesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand(
            """
            SELECT split_part(stream, '|', 1), count(*),
                   coalesce(avg(octet_length(data) + coalesce(octet_length(payload), 0)), 0)::float8,
                   coalesce(max(octet_length(data) + coalesce(octet_length(payload), 0)), 0)
            FROM callevents_journal GROUP BY 1 ORDER BY 2 DESC
            """,
            connection);
        var list = new List<StorageSize>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add(new StorageSize(reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetInt32(3)));
        }

        return list;
    }

    public static string DatabaseName(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).Database ?? "postgres";
}
