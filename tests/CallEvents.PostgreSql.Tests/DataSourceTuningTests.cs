using Npgsql;

namespace CallEvents.PostgreSql.Tests;

public sealed class DataSourceTuningTests
{
    [Fact]
    public void The_pool_skips_the_session_reset_and_auto_prepares_by_default()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresDurabilityDataSource.Tune("Host=db;Database=orleans;Username=app"));

        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(32, tuned.MaxAutoPrepare);
        Assert.Equal("db", tuned.Host);
        Assert.Equal("orleans", tuned.Database);
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=db;NoResetOnClose=false;MaxAutoPrepare=0")]
    public void Settings_in_the_connection_string_win(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresDurabilityDataSource.Tune(connectionString));

        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
    }
}
