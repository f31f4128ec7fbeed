namespace CallEvents;

/// <summary>Deadlines, republishing and the due-time sweep (configuration section <c>Lifecycle</c>).</summary>
public sealed class LifecycleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Lifecycle";

    /// <summary>A call that ended without PCA is flagged stalled after this long (default 10 minutes; Verbex says PCA takes 1–30 s).</summary>
    public TimeSpan PcaDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A call that was queued, placed or started is flagged stalled when it has not ended after this long (default 2 hours).</summary>
    public TimeSpan EndDeadline { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// How long an emission may wait for its consumers' confirmations before it is published again (default 30 s).
    /// Confirmations normally arrive within milliseconds; this covers a publish lost with a silo.
    /// </summary>
    public TimeSpan RepublishAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often each sweeper looks for grains whose due time has come (default 1 s): deadlines fire within this.</summary>
    public TimeSpan SweepPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many sweepers the cluster runs (default 2). Each is a grain kept alive by one Orleans reminder; they claim due
    /// grains from the journal without stepping on each other, so one survives while another's silo is replaced.
    /// </summary>
    public int Sweepers { get; set; } = 2;

    /// <summary>How long a claimed wake may take before another sweep retries it (default 30 s).</summary>
    public TimeSpan SweepLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Publish an emission right after the journal write that staged it (default true). False leaves every emission to
    /// the sweep, as if the silo had died between the write and the publish: a fault drill that shows delivery does not
    /// depend on the publish. Not for normal operation (it delays follow-ups by <see cref="RepublishAfter"/>).
    /// </summary>
    public bool PublishAfterWrite { get; set; } = true;

    /// <summary>Comma-separated sources whose calls are expected to deliver PCA after they end (default: both).</summary>
    public string ExpectPcaFrom { get; set; } = $"{EventSources.Verbex},{EventSources.SubVerse}";

    /// <summary>Whether calls of <paramref name="source"/> are expected to deliver PCA.</summary>
    public bool ExpectsPca(string source) =>
        ExpectPcaFrom.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(source, StringComparer.Ordinal);
}
