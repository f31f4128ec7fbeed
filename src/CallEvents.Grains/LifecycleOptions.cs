namespace CallEvents;

/// <summary>The stalled-call watchdog and emission republishing (configuration section <c>Lifecycle</c>).</summary>
public sealed class LifecycleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Lifecycle";

    /// <summary>A call that ended without PCA is flagged stalled after this long (default 10 minutes; Verbex says PCA takes 1–30 s).</summary>
    public TimeSpan PcaDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A call that was queued, placed or started is flagged stalled when it has not ended after this long (default 2 hours).</summary>
    public TimeSpan EndDeadline { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Period of the per-call lifecycle reminder, which checks deadlines and republishes unconfirmed emissions
    /// (default 1 minute, the Orleans minimum reminder period). Stalls are flagged within this long of their deadline.
    /// </summary>
    public TimeSpan TickPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Publish an emission right after the state write that caused it (default true). False leaves every emission
    /// to the lifecycle reminder, as if the silo had died between the write and the publish: a fault drill that
    /// shows delivery does not depend on the publish. Not for normal operation (it delays follow-ups by a tick).
    /// </summary>
    public bool PublishAfterWrite { get; set; } = true;

    /// <summary>Comma-separated sources whose calls are expected to deliver PCA after they end (default: both).</summary>
    public string ExpectPcaFrom { get; set; } = $"{EventSources.Verbex},{EventSources.SubVerse}";

    /// <summary>Whether calls of <paramref name="source"/> are expected to deliver PCA.</summary>
    public bool ExpectsPca(string source) =>
        ExpectPcaFrom.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(source, StringComparer.Ordinal);
}
