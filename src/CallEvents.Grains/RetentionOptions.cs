namespace CallEvents;

/// <summary>Erasure of old data in the background (configuration section <c>Retention</c>).</summary>
public sealed class RetentionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Retention";

    /// <summary>
    /// Finished calls and workflow executions whose first event arrived longer ago than this are erased, as
    /// <c>DELETE /calls/…</c> would (default: unset, nothing is erased). Checked once a minute.
    /// </summary>
    public TimeSpan? EraseFinishedAfter { get; set; }

    /// <summary>Most entities erased per minute (default 200), so retention never competes with ingest.</summary>
    public int MaxPerMinute { get; set; } = 200;
}
