namespace CallEvents;

/// <summary>Caps of the call and workflow grains (configuration section <c>Processing</c>).</summary>
/// <remarks>
/// The caps apply only to unrecognized events and to repetitive ones (<c>workflow.node_execution</c>): past them such
/// events are still acknowledged, deduplicated and counted, but their payload is not kept (the snapshot's
/// <c>truncated</c> says how many and how large). Lifecycle events are never refused or truncated.
/// </remarks>
public sealed class ProcessingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Processing";

    /// <summary>Lowest accepted <see cref="MaxEventsPerEntity"/>.</summary>
    public const int MinEventsPerEntity = 16;

    /// <summary>Highest accepted <see cref="MaxEventsPerEntity"/>.</summary>
    public const int MaxEventsLimit = 100_000;

    /// <summary>Unrecognized and repetitive events whose payload one entity keeps (default 1000).</summary>
    public int MaxEventsPerEntity { get; set; } = 1000;

    /// <summary>Payload bytes of unrecognized and repetitive events one entity keeps (default 4 MiB).</summary>
    public long MaxPayloadBytesPerEntity { get; set; } = 4L * 1024 * 1024;
}
