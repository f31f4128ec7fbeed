using CallEvents.Journal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime;

namespace CallEvents.PostgreSql;

/// <summary>
/// Points an Orleans silo's clustering, grain storage and reminders at one PostgreSQL database
/// through the Orleans ADO.NET providers, and applies the schema they need at silo start-up.
/// </summary>
public static class PostgresDurabilityExtensions
{
    /// <summary>
    /// Uses PostgreSQL for cluster membership (<c>UseAdoNetClustering</c>), grain state
    /// (<c>AddAdoNetGrainStorage</c> under each of <paramref name="grainStorageNames"/> and as the
    /// default storage) and reminders (<c>UseAdoNetReminderService</c>), all with the invariant
    /// <see cref="PostgresSchema.Invariant"/> and one shared <see cref="NpgsqlDataSource"/>.
    /// </summary>
    /// <remarks>
    /// The silo applies <see cref="PostgresSchema"/> itself, at
    /// <see cref="ServiceLifecycleStage.RuntimeStorageServices"/>, before any of these providers
    /// reads from the database. While the database is unreachable it retries for about 30 seconds,
    /// then start-up fails with an <see cref="InvalidOperationException"/> that says so.
    /// Call this method once per silo.
    /// </remarks>
    /// <param name="silo">The silo builder.</param>
    /// <param name="connectionString">An Npgsql connection string to an existing database.</param>
    /// <param name="grainStorageNames">Names of the grain storage providers the grains use
    /// (<c>[PersistentState("state", "name")]</c>); the default provider is always registered.</param>
    /// <returns>The silo builder.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed, or a storage
    /// name is empty.</exception>
    public static ISiloBuilder UsePostgreSqlDurability(
        this ISiloBuilder silo, string connectionString, params string[] grainStorageNames)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(grainStorageNames);
        ValidateConnectionString(connectionString);
        foreach (var name in grainStorageNames)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException("Grain storage names must not be empty.", nameof(grainStorageNames));
            }
        }

        var services = silo.Services;
        services.TryAddSingleton(_ => new PostgresDurabilityDataSource(connectionString));
        if (!services.Any(d => d.ServiceType == typeof(ILifecycleParticipant<ISiloLifecycle>)
            && d.ImplementationType == typeof(PostgresSchemaInitializer)))
        {
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PostgresSchemaInitializer>();
        }

        silo.UseAdoNetClustering((OptionsBuilder<AdoNetClusteringSiloOptions> options) =>
            options.Configure<PostgresDurabilityDataSource>((o, database) =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = null;
                o.DataSource = database.DataSource;
            }));

        // The call-event grains keep their state in the journal; the ADO.NET grain storage stays the default for any
        // other grain of the silo (a user's own grains with [PersistentState]).
        services.RemoveAll<IJournal>();
        services.AddSingleton<PostgresJournal>();
        services.AddSingleton<IJournal>(sp => sp.GetRequiredService<PostgresJournal>());
        services.AddCallEventClock();

        silo.AddAdoNetGrainStorageAsDefault(ConfigureGrainStorage);
        foreach (var name in grainStorageNames.Distinct(StringComparer.Ordinal))
        {
            if (name != ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME)
            {
                silo.AddAdoNetGrainStorage(name, ConfigureGrainStorage);
            }
        }

        silo.UseAdoNetReminderService((OptionsBuilder<AdoNetReminderTableOptions> options) =>
            options.Configure<PostgresDurabilityDataSource>((o, database) =>
            {
                o.Invariant = PostgresSchema.Invariant;
                o.ConnectionString = null;
                o.DataSource = database.DataSource;
            }));

        return silo;
    }

    /// <summary>
    /// Lets an external Orleans client find the gateways of silos configured with
    /// <see cref="UsePostgreSqlDurability"/> (ADO.NET clustering with the invariant
    /// <see cref="PostgresSchema.Invariant"/>). The client does not apply the schema: a silo or a
    /// DBA must have applied it.
    /// </summary>
    /// <param name="client">The client builder.</param>
    /// <param name="connectionString">An Npgsql connection string to the silos' database.</param>
    /// <returns>The client builder.</returns>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    public static IClientBuilder UsePostgreSqlClustering(this IClientBuilder client, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ValidateConnectionString(connectionString);
        return client.UseAdoNetClustering((AdoNetClusteringClientOptions o) =>
        {
            o.Invariant = PostgresSchema.Invariant;
            o.ConnectionString = connectionString;
        });
    }

    private static void ConfigureGrainStorage(OptionsBuilder<AdoNetGrainStorageOptions> options) =>
        options.Configure<PostgresDurabilityDataSource>((o, database) =>
        {
            // AdoNetGrainStorageOptions.Invariant defaults to SQL Server.
            o.Invariant = PostgresSchema.Invariant;
            o.ConnectionString = null;
            o.DataSource = database.DataSource;
        });

    private static void ValidateConnectionString(string connectionString)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new ArgumentException($"Not a valid Npgsql connection string: {ex.Message}", nameof(connectionString), ex);
        }
    }
}
