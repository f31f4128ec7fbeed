namespace CallEvents;

/// <summary>Limits of the call and workflow grains (configuration section <c>Processing</c>).</summary>
public sealed class ProcessingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Processing";

    /// <summary>Lowest accepted <see cref="MaxEventsPerEntity"/>.</summary>
    public const int MinEventsPerEntity = 16;

    /// <summary>Highest accepted <see cref="MaxEventsPerEntity"/>.</summary>
    public const int MaxEventsLimit = 100_000;

    /// <summary>
    /// Most distinct events one call or workflow execution keeps (default 1000). Every write rewrites the
    /// grain's state, so this bounds both state size and write cost; a real call has a handful of events.
    /// </summary>
    public int MaxEventsPerEntity { get; set; } = 1000;
}
