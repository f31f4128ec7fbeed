using CallEvents.TestSupport;
using Npgsql;

namespace CallEvents.PostgreSql.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests
{
    private readonly PostgresServer _server;

    public PostgresServerTests(PostgresFixture fixture)
    {
        _server = fixture.Server;
    }

    [Fact]
    public async Task Created_databases_are_separate_and_usable()
    {
        var first = await _server.CreateDatabaseAsync("Server Tests!");
        var second = await _server.CreateDatabaseAsync("server-tests");

        Assert.NotEqual(new NpgsqlConnectionStringBuilder(first).Database, new NpgsqlConnectionStringBuilder(second).Database);
        Assert.StartsWith("servertests_", new NpgsqlConnectionStringBuilder(first).Database, StringComparison.Ordinal);
        Assert.Equal(1, await SelectOneAsync(first));
        Assert.Equal(1, await SelectOneAsync(second));
    }

    [Fact]
    public async Task Queries_fail_while_the_server_is_stopped_and_work_after_a_restart()
    {
        Assert.True(_server.CanRestart, $"this test stops and restarts the server, so it needs the throwaway one (not {PostgresServer.ExternalServerVariable})");

        var connectionString = await _server.CreateDatabaseAsync("restart");
        Assert.Equal(1, await SelectOneAsync(connectionString));
        var port = _server.Port;

        await _server.StopAsync();
        try
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => SelectOneAsync(connectionString));
        }
        finally
        {
            await _server.StartAsync();
        }

        Assert.Equal(port, _server.Port);
        Assert.Equal(1, await SelectOneAsync(connectionString));
    }

    [Fact]
    public async Task An_external_server_is_used_as_it_is_never_stopped_and_only_its_own_databases_are_dropped()
    {
        var kept = await _server.CreateDatabaseAsync("kept");
        string own;
        await using (var external = PostgresServer.External(_server.AdminConnectionString))
        {
            Assert.False(external.CanRestart);
            Assert.Equal(_server.Port, external.Port);
            await Assert.ThrowsAsync<InvalidOperationException>(external.StopAsync);
            await Assert.ThrowsAsync<InvalidOperationException>(external.KillAsync);
            await Assert.ThrowsAsync<InvalidOperationException>(external.StartAsync);
            own = await external.CreateDatabaseAsync("external own");
            Assert.Equal(1, await SelectOneAsync(own));
        }

        Assert.Equal(1, await SelectOneAsync(kept));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => SelectOneAsync(own));
    }

    private static async Task<int> SelectOneAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
