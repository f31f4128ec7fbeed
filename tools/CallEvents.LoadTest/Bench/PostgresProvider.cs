using CallEvents.TestSupport;
using Npgsql;

namespace CallEvents.LoadTest.Bench;

/// <summary>
/// The PostgreSQL a run uses: a throwaway server (<c>--postgres auto</c>, tests/CallEvents.TestSupport's
/// <see cref="PostgresServer"/>: initdb, fsync off) or an existing one given by connection string. For the
/// benchmark, each subject gets its own database on the same server.
/// </summary>
public sealed class PostgresProvider : IAsyncDisposable
{
    private readonly PostgresServer? _server;
    private readonly string? _connectionString;

    private PostgresProvider(PostgresServer? server, string? connectionString, string adminConnectionString, bool statements)
    {
        _server = server;
        _connectionString = connectionString;
        AdminConnectionString = adminConnectionString;
        StatementsEnabled = statements;
    }

    /// <summary>A connection string with the rights to read server statistics.</summary>
    public string AdminConnectionString { get; }

    /// <summary>Whether pg_stat_statements is loaded (throwaway servers only, when its library is installed).</summary>
    public bool StatementsEnabled { get; }

    public bool IsThrowaway => _server is not null && _connectionString is null;

    public string Describe() => IsThrowaway
        ? Durable
            ? "throwaway PostgreSQL (initdb; fsync=on, synchronous_commit=on, full_page_writes=on)"
            : "throwaway PostgreSQL (initdb; fsync=off, synchronous_commit=off, full_page_writes=off)"
        : "PostgreSQL given by --postgres";

    /// <summary>
    /// <paramref name="spec"/> is <c>auto</c> (start a throwaway server) or a connection string. With
    /// <paramref name="separateDatabases"/> and a connection string, databases are created on that server (the
    /// user needs CREATEDB) and dropped at the end.
    /// </summary>
    /// <param name="spec"><c>auto</c> or a connection string.</param>
    /// <param name="separateDatabases">Create a database per subject.</param>
    /// <param name="statements">Enable pg_stat_statements on a throwaway server.</param>
    /// <param name="log">Progress output.</param>
    /// <param name="fsync">A throwaway server commits durably (<c>fsync=on</c>, <c>synchronous_commit=on</c>,
    /// <c>full_page_writes=on</c>) instead of the test fixture's fast, non-durable settings.</param>
    public static async Task<PostgresProvider> StartAsync(string spec, bool separateDatabases, bool statements, TextWriter log, bool fsync = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        if (!string.Equals(spec, "auto", StringComparison.OrdinalIgnoreCase))
        {
            if (!separateDatabases)
            {
                return new PostgresProvider(null, spec, spec, statements: false);
            }

            Environment.SetEnvironmentVariable(PostgresServer.ExternalServerVariable, spec);
            var external = await PostgresServer.CreateAsync();
            return new PostgresProvider(external, null, external.AdminConnectionString, statements: false);
        }

        Environment.SetEnvironmentVariable(PostgresServer.ExternalServerVariable, null);
        await log.WriteLineAsync("starting a throwaway PostgreSQL server (initdb)...");
        var server = await PostgresServer.CreateAsync();
        if (fsync)
        {
            // ALTER SYSTEM settings win over the command-line ones the fixture starts the server with.
            await ExecuteAsync(server.AdminConnectionString, "ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET synchronous_commit = on", "ALTER SYSTEM SET full_page_writes = on");
            await server.StopAsync();
            await server.StartAsync();
        }

        var enabled = false;
        if (statements && StatementsLibraryInstalled())
        {
            try
            {
                await ExecuteAsync(server.AdminConnectionString, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");

                // shared_preload_libraries is read at server start only.
                await server.StopAsync();
                await server.StartAsync();

                // The view and the reset function live in the database the statistics are read from.
                await using (var connection = new NpgsqlConnection(server.AdminConnectionString))
                {
                    await connection.OpenAsync();
                    await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection);
                    await create.ExecuteNonQueryAsync();
                }

                enabled = true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                await log.WriteLineAsync($"pg_stat_statements not enabled: {ex.Message}");
            }
        }

        return new PostgresProvider(server, null, server.AdminConnectionString, enabled) { Durable = fsync };
    }

    /// <summary>Whether the throwaway server was started with durable commits.</summary>
    public bool Durable { get; private init; }

    private static async Task ExecuteAsync(string connectionString, params string[] statements)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>A database for one subject of the run (a new one on a throwaway or CREATEDB server).</summary>
    public async Task<string> DatabaseAsync(string prefix)
    {
        if (_server is null)
        {
            return _connectionString!;
        }

        var connectionString = await _server.CreateDatabaseAsync(prefix);
        return new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 200, Timeout = 15, CommandTimeout = 30 }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private static bool StatementsLibraryInstalled() =>
        Directory.Exists("/usr/lib/postgresql")
        && Directory.EnumerateFiles("/usr/lib/postgresql", "pg_stat_statements.so", SearchOption.AllDirectories).Any();
}
