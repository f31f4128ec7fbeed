namespace CallEvents.Hosting;

/// <summary>Where state lives.</summary>
public enum StorageMode
{
    /// <summary>One local silo, in-memory state: for trying the service out, not durable.</summary>
    Embedded,

    /// <summary>PostgreSQL clustering, state and reminders: a 2xx means the event is stored.</summary>
    PostgreSql,
}

/// <summary>The mode the host runs in.</summary>
public sealed record HostMode(StorageMode Mode)
{
    /// <summary>The mode a PostgreSQL connection string selects: none (or blank) is the embedded default.</summary>
    public static StorageMode StorageFor(string? postgresConnectionString) =>
        string.IsNullOrWhiteSpace(postgresConnectionString) ? StorageMode.Embedded : StorageMode.PostgreSql;

    /// <summary>A one-line description for humans.</summary>
    public string Describe() => Mode == StorageMode.Embedded
        ? "embedded (single local silo, in-memory state: NOT durable)"
        : "postgresql (clustered, durable)";
}
