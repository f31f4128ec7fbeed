using Npgsql;

namespace CallEvents.PostgreSql;

/// <summary>
/// The silo's connection to its durability database: the connection string, and one Npgsql data
/// source (connection pool) shared by the clustering, grain storage and reminder providers.
/// Owned by the silo's service provider, which disposes it when the host is disposed.
/// </summary>
internal sealed class PostgresDurabilityDataSource : IAsyncDisposable, IDisposable
{
    private readonly Lazy<NpgsqlDataSource> _dataSource;

    public PostgresDurabilityDataSource(string connectionString)
    {
        ConnectionString = connectionString;
        _dataSource = new Lazy<NpgsqlDataSource>(() => NpgsqlDataSource.Create(connectionString));
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource => _dataSource.Value;

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
