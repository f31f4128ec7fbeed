using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CallEvents.PostgreSql;

/// <summary>
/// Applies the project's PostgreSQL schema for the Orleans ADO.NET providers (clustering, grain
/// storage, reminders). The scripts are the files of <c>deploy/sql</c>, embedded in this assembly,
/// so a silo and a DBA apply exactly the same SQL.
/// </summary>
/// <remarks>
/// Every script is idempotent: applying the schema again, or from several processes at once,
/// succeeds and upgrades the stored query texts. Concurrent appliers are serialised by a
/// session-level advisory lock on <see cref="AdvisoryLockKey"/>.
/// </remarks>
public static class PostgresSchema
{
    /// <summary>
    /// The advisory lock key (0x43414C4C45565453, ASCII "CALLEVTS") held while the schema is applied.
    /// The SQL files take the same key for their own transaction, so a DBA applying them with
    /// <c>psql --single-transaction</c> is serialised with starting silos as well.
    /// </summary>
    public const long AdvisoryLockKey = 0x43414C4C45565453;

    /// <summary>The ADO.NET invariant name under which Orleans loads Npgsql.</summary>
    public const string Invariant = "Npgsql";

    private const string ResourcePrefix = "CallEvents.PostgreSql.Sql.";
    private const int LockTimeoutSeconds = 300;
    private const int ScriptTimeoutSeconds = 300;

    private static readonly Lazy<IReadOnlyList<string>> Scripts = new(() =>
        typeof(PostgresSchema).Assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => name[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToArray());

    /// <summary>
    /// Gets the file names of the embedded scripts (for example <c>001-main.sql</c>) in the order
    /// in which they are applied.
    /// </summary>
    public static IReadOnlyList<string> ScriptNames => Scripts.Value;

    /// <summary>Reads the text of one embedded script.</summary>
    /// <param name="scriptName">A name from <see cref="ScriptNames"/>.</param>
    /// <returns>The SQL text of the script.</returns>
    /// <exception cref="ArgumentException">No embedded script has that name.</exception>
    public static string ReadScript(string scriptName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scriptName);
        using var stream = typeof(PostgresSchema).Assembly.GetManifestResourceStream(ResourcePrefix + scriptName)
            ?? throw new ArgumentException($"No embedded schema script named '{scriptName}'.", nameof(scriptName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Applies all embedded scripts to the database named by <paramref name="connectionString"/>:
    /// opens a dedicated connection, takes the advisory lock <see cref="AdvisoryLockKey"/> (waiting
    /// for other appliers), runs each script in its own transaction in file-name order, and
    /// releases the lock.
    /// </summary>
    /// <param name="connectionString">An Npgsql connection string; the database must exist and the
    /// user needs the right to create tables and functions in its schema.</param>
    /// <param name="logger">Optional logger for progress messages.</param>
    /// <param name="ct">Cancels waiting for the lock and running the scripts.</param>
    /// <returns>A task that completes when the schema is in place.</returns>
    /// <exception cref="InvalidOperationException">The database cannot be reached (the inner
    /// <see cref="NpgsqlException"/> tells why), or a script failed.</exception>
    public static async Task ApplyAsync(string connectionString, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        logger ??= NullLogger.Instance;

        // A dedicated, unpooled connection: closing it really ends the session, which also frees the
        // advisory lock should the explicit unlock below fail.
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            Multiplexing = false,
        };
        var target = Describe(builder);
        var scripts = ScriptNames;
        if (scripts.Count == 0)
        {
            throw new InvalidOperationException(
                $"No schema scripts are embedded in {typeof(PostgresSchema).Assembly.GetName().Name}; check the EmbeddedResource item for deploy/sql/*.sql.");
        }

        var stopwatch = Stopwatch.StartNew();
        PostgresLog.SchemaApplying(logger, target, scripts.Count);

        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidOperationException(
                $"Cannot connect to PostgreSQL {target} to apply the Orleans schema: {ex.Message}", ex);
        }

        PostgresLog.WaitingForSchemaLock(logger, target, AdvisoryLockKey);
        await ExecuteAsync(connection, null, "SELECT pg_advisory_lock(@key)", AdvisoryLockKey, LockTimeoutSeconds, ct)
            .ConfigureAwait(false);
        try
        {
            foreach (var script in scripts)
            {
                var scriptStopwatch = Stopwatch.StartNew();
                var sql = ReadScript(script);
                try
                {
                    await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, sql, null, ScriptTimeoutSeconds, ct).ConfigureAwait(false);
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                }
                catch (NpgsqlException ex)
                {
                    throw new InvalidOperationException(
                        $"Applying schema script '{script}' to PostgreSQL {target} failed: {ex.Message}", ex);
                }

                PostgresLog.ScriptApplied(logger, script, scriptStopwatch.ElapsedMilliseconds);
            }
        }
        finally
        {
            await ReleaseLockAsync(connection, logger).ConfigureAwait(false);
        }

        PostgresLog.SchemaApplied(logger, target, stopwatch.ElapsedMilliseconds);
    }

    /// <summary>Describes the target of a connection string for messages, without credentials.</summary>
    internal static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"database '{builder.Database ?? builder.Username ?? "(default)"}' on {builder.Host ?? "localhost"}:{builder.Port}";

    /// <summary>Describes the target of a connection string for messages, without credentials.</summary>
    internal static string Describe(string connectionString) =>
        Describe(new NpgsqlConnectionStringBuilder(connectionString));

    private static async Task ExecuteAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        string sql,
        long? key,
        int timeoutSeconds,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction)
        {
            CommandTimeout = timeoutSeconds,
        };
        if (key is { } value)
        {
            command.Parameters.AddWithValue("key", value);
        }

        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task ReleaseLockAsync(NpgsqlConnection connection, ILogger logger)
    {
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(@key)", AdvisoryLockKey, 30, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            // Closing the unpooled connection ends the session and frees the lock anyway.
            PostgresLog.SchemaLockReleaseFailed(logger, ex);
        }
    }
}
