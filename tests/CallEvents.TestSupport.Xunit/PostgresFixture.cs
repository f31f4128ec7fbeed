using Xunit;

namespace CallEvents.TestSupport;

/// <summary>
/// xunit fixture (class or collection) that owns one <see cref="PostgresServer"/> for the tests
/// that share it. Tests isolate from each other by creating their own database with
/// <see cref="PostgresServer.CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The server; available once xunit has initialised the fixture.</summary>
    public PostgresServer Server =>
        _server ?? throw new InvalidOperationException("The PostgreSQL fixture has not been initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await PostgresServer.CreateAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
