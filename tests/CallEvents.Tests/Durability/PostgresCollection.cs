using CallEvents.TestSupport;

namespace CallEvents.Tests.Durability;

/// <summary>One throwaway PostgreSQL server for the durability tests; each test gets its own database.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
