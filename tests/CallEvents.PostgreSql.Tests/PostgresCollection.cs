using CallEvents.TestSupport;

namespace CallEvents.PostgreSql.Tests;

/// <summary>
/// All tests of this project share one PostgreSQL server and run one after another, so tests that
/// stop the server cannot disturb others. Each test creates its own database.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
