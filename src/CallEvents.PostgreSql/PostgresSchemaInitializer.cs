using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Runtime;

namespace CallEvents.PostgreSql;

/// <summary>
/// Silo lifecycle participant that applies <see cref="PostgresSchema"/> before any ADO.NET provider
/// reads its queries from the database.
/// </summary>
/// <remarks>
/// The providers first touch the database at <see cref="ServiceLifecycleStage.RuntimeGrainServices"/>
/// (membership table via MembershipTableManager, reminder table via LocalReminderService) and at
/// <see cref="ServiceLifecycleStage.ApplicationServices"/> (AdoNetGrainStorage's default InitStage).
/// <see cref="ServiceLifecycleStage.RuntimeStorageServices"/> is the stage meant for initialising
/// runtime storage and lies before both.
/// </remarks>
internal sealed class PostgresSchemaInitializer : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The lifecycle stage at which the schema is applied.</summary>
    internal const int Stage = ServiceLifecycleStage.RuntimeStorageServices;

    /// <summary>Waits between attempts while the database is unreachable (about 30 s in all).</summary>
    internal static readonly IReadOnlyList<TimeSpan> DefaultRetryDelays =
    [
        TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(2),
        TimeSpan.FromSeconds(4),
        TimeSpan.FromSeconds(8),
        TimeSpan.FromSeconds(15),
    ];

    private readonly PostgresDurabilityDataSource _database;
    private readonly ILogger<PostgresSchemaInitializer> _logger;

    public PostgresSchemaInitializer(PostgresDurabilityDataSource database, ILogger<PostgresSchemaInitializer> logger)
    {
        _database = database;
        _logger = logger;
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgresSchemaInitializer), Stage, OnStartAsync);

    private Task OnStartAsync(CancellationToken ct) =>
        ApplyWithRetriesAsync(_database.ConnectionString, _logger, DefaultRetryDelays, ct);

    /// <summary>
    /// Applies the schema, retrying while the database is unreachable (or refuses connections
    /// because it is starting up) with the given delays between attempts; other errors, such as
    /// a failing script or a rejected password, are not retried.
    /// </summary>
    internal static async Task ApplyWithRetriesAsync(
        string connectionString, ILogger logger, IReadOnlyList<TimeSpan> retryDelays, CancellationToken ct)
    {
        var target = PostgresSchema.Describe(connectionString);
        var maxAttempts = retryDelays.Count + 1;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await PostgresSchema.ApplyAsync(connectionString, logger, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsTransient(ex) && attempt < maxAttempts && !ct.IsCancellationRequested)
            {
                var delay = retryDelays[attempt - 1];
                PostgresLog.UnreachableRetrying(logger, ex, target, attempt, maxAttempts, delay);
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                var failure = new InvalidOperationException(
                    $"PostgreSQL {target} was still unreachable after {maxAttempts} attempts, so the Orleans schema "
                    + $"could not be applied and the silo cannot start. Check that the server is running and that "
                    + $"the connection string is right. Last error: {ex.Message}",
                    ex);
                PostgresLog.StartupFailed(logger, failure, target);
                throw failure;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                PostgresLog.StartupFailed(logger, ex, target);
                throw;
            }
        }
    }

    private static bool IsTransient(Exception ex) =>
        ex is NpgsqlException { IsTransient: true }
        || ex.InnerException is NpgsqlException { IsTransient: true };
}
