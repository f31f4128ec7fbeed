using CallEvents.LoadTest.Reporting;
using Npgsql;

namespace CallEvents.LoadTest.Bench;

/// <summary>
/// Measures one database's work over a run: pg_stat_database counters (read after the cluster stopped, so every
/// backend has flushed its statistics) and, when pg_stat_statements is loaded, the top statements by total time
/// (read right after the send phase).
/// </summary>
public sealed class DatabaseProbe
{
    private readonly PostgresProvider _provider;
    private readonly string _database;
    private readonly DatabaseCounters _before;
    private IReadOnlyList<StatementStat> _statements = [];

    private DatabaseProbe(PostgresProvider provider, string database, DatabaseCounters before)
    {
        _provider = provider;
        _database = database;
        _before = before;
    }

    public static async Task<DatabaseProbe?> StartAsync(PostgresProvider? provider, string? connectionString)
    {
        if (provider is null || connectionString is null)
        {
            return null;
        }

        var database = PgStats.DatabaseName(connectionString);
        try
        {
            if (provider.StatementsEnabled)
            {
                await PgStats.ResetStatementsAsync(provider.AdminConnectionString);
            }

            return new DatabaseProbe(provider, database, await PgStats.CountersAsync(provider.AdminConnectionString, database));
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>Reads pg_stat_statements now (statement counters are current; database counters lag).</summary>
    public async Task CaptureStatementsAsync()
    {
        if (!_provider.StatementsEnabled)
        {
            return;
        }

        try
        {
            _statements = await PgStats.TopStatementsAsync(_provider.AdminConnectionString, _database, 8);
        }
        catch (NpgsqlException)
        {
            _statements = [];
        }
    }

    /// <summary>Call after the cluster's connections are closed.</summary>
    public async Task<DatabaseProfile?> FinishAsync(string connectionString, long acknowledged)
    {
        try
        {
            // Backends flush their statistics when they exit; give the last ones a moment.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var delta = (await PgStats.CountersAsync(_provider.AdminConnectionString, _database)).Minus(_before);
            var sizes = await PgStats.StorageSizesAsync(connectionString);
            var perDelivery = acknowledged == 0 ? 0 : (double)(delta.Commits + delta.Rollbacks) / acknowledged;
            var rows = acknowledged == 0 ? 0 : (double)(delta.Inserted + delta.Updated + delta.Deleted) / acknowledged;
            return new DatabaseProfile(delta, perDelivery, rows, _statements, sizes);
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }
}
