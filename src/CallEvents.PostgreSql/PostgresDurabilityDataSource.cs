using System.Data.Common;
using Npgsql;

namespace CallEvents.PostgreSql;

/// <summary>
/// The silo's connection to its durability database: the connection string, and one Npgsql data
/// source (connection pool) shared by the clustering, grain storage and reminder providers.
/// Owned by the silo's service provider, which disposes it when the host is disposed.
/// </summary>
/// <remarks>
/// Two pool settings are tuned for the providers' short, stateless statements unless the connection string
/// sets them: <c>No Reset On Close=true</c> (the providers never change session state, so the
/// <c>DISCARD ALL</c> Npgsql otherwise sends on every return to the pool is pure overhead: one extra statement
/// per storage write) and <c>Max Auto Prepare=32</c> (the few statements the providers repeat are prepared
/// once per connection instead of parsed and planned on every call).
/// </remarks>
internal sealed class PostgresDurabilityDataSource : IAsyncDisposable, IDisposable
{
    private readonly Lazy<NpgsqlDataSource> _dataSource;

    public PostgresDurabilityDataSource(string connectionString)
    {
        ConnectionString = connectionString;
        _dataSource = new Lazy<NpgsqlDataSource>(() => NpgsqlDataSource.Create(Tune(connectionString)));
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource => _dataSource.Value;

    /// <summary>The connection string with the pool settings the providers benefit from, where it does not set them.</summary>
    internal static string Tune(string connectionString)
    {
        // The keys the string itself sets (Npgsql's builder answers for every key it knows).
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", string.Empty, StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!given.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 32;
        }

        return builder.ConnectionString;
    }

    public void Dispose()
    {
        if (_dataSource.IsValueCreated)
        {
            _dataSource.Value.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource.IsValueCreated)
        {
            await _dataSource.Value.DisposeAsync().ConfigureAwait(false);
        }
    }
}
