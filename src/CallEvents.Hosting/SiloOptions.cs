namespace CallEvents.Hosting;

/// <summary>Silo settings (configuration section <c>Orleans</c>).</summary>
public sealed class SiloOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orleans";

    /// <summary>Cluster id (default <c>callevents</c>); silos with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "callevents";

    /// <summary>Service id (default <c>callevents</c>); grain state and reminders are keyed by it.</summary>
    public string ServiceId { get; set; } = "callevents";

    /// <summary>Silo-to-silo port (default 11111).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port (default 30000).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Address this silo advertises to the others in PostgreSQL mode (default 127.0.0.1).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
}
