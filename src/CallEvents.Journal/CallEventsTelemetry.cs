using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CallEvents;

/// <summary>
/// The service's own telemetry: the <see cref="MeterName"/> meter (deliveries, acknowledgement latency, emissions,
/// stalls, follow-up actions) and the <see cref="ActivitySourceName"/> activity source (journal writes and flushes,
/// follow-up callbacks). Tags are low-cardinality only: never a call id, a key or a URL.
/// </summary>
public static class CallEventsTelemetry
{
    /// <summary>The meter of the service's instruments (the journal's are on <c>CallEvents.Journal</c>).</summary>
    public const string MeterName = "CallEvents";

    /// <summary>The activity source of the service's spans.</summary>
    public const string ActivitySourceName = "CallEvents";

    /// <summary>The meter.</summary>
    public static Meter Meter { get; } = new(MeterName);

    /// <summary>The activity source.</summary>
    public static ActivitySource Source { get; } = new(ActivitySourceName);

    /// <summary>
    /// <c>callevents.webhook.deliveries</c>: every webhook delivery answered, tagged <c>callevents.source</c>,
    /// <c>callevents.event_type</c> (a known provider event name, <c>unrecognized</c> or <c>none</c> before parsing),
    /// <c>callevents.outcome</c> (<c>accepted</c>, <c>duplicate</c>, <c>late</c>, <c>unrecognized</c>, <c>rejected</c>,
    /// <c>unauthorized</c>, <c>throttled</c>, <c>unavailable</c>), <c>callevents.reason</c> and
    /// <c>http.response.status_code</c>.
    /// </summary>
    public static Counter<long> Deliveries { get; } =
        Meter.CreateCounter<long>("callevents.webhook.deliveries", "{delivery}", "Webhook deliveries answered, by source, event type and outcome.");

    /// <summary><c>callevents.webhook.duration</c>: from the request to its answer, in seconds, by source and outcome.</summary>
    public static Histogram<double> AcknowledgementDuration { get; } =
        Meter.CreateHistogram<double>(
            "callevents.webhook.duration",
            "s",
            "Time from a webhook request to its answer (acknowledgement latency).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8] });

    /// <summary><c>callevents.calls.stalled</c>: stalls flagged (a call past its end or PCA deadline), by reason.</summary>
    public static Counter<long> Stalls { get; } =
        Meter.CreateCounter<long>("callevents.calls.stalled", "{stall}", "Stalled calls detected, by stall reason.");

    /// <summary><c>callevents.emissions.published</c>: emissions staged (first publication), by namespace.</summary>
    public static Counter<long> Emissions { get; } =
        Meter.CreateCounter<long>("callevents.emissions.published", "{emission}", "Emissions made (stored with the change that caused them), by stream namespace.");

    /// <summary>
    /// <c>callevents.followups.actions</c>: follow-up actions by <c>callevents.followup</c> (the follow-up grain's
    /// name) and <c>callevents.stage</c> (<c>scheduled</c>, <c>attempted</c>, <c>succeeded</c>, <c>failed</c>).
    /// </summary>
    public static Counter<long> FollowUpActions { get; } =
        Meter.CreateCounter<long>("callevents.followups.actions", "{action}", "Follow-up actions scheduled, attempted (each attempt), succeeded and failed.");

    /// <summary>The emissions awaiting confirmation in this silo's active grains.</summary>
    public static PendingEmissions Pending { get; } = new();
}

/// <summary>
/// Emissions awaiting their consumers' confirmation in the grains active on this silo, kept per grain as the grain's
/// state changes (a few entries per grain at most): the observable gauges <c>callevents.emissions.pending</c> and
/// <c>callevents.emissions.oldest_pending.age</c> read it on each collection, never the database.
/// </summary>
public sealed class PendingEmissions
{
    private readonly ConcurrentDictionary<string, DateTimeOffset[]> _byGrain = new(StringComparer.Ordinal);

    internal PendingEmissions()
    {
        CallEventsTelemetry.Meter.CreateObservableGauge(
            "callevents.emissions.pending",
            () => (long)_byGrain.Values.Sum(v => v.Length),
            "{emission}",
            "Emissions awaiting confirmation by their consumers, in the grains active on this silo.");
        CallEventsTelemetry.Meter.CreateObservableGauge(
            "callevents.emissions.oldest_pending.age",
            () => OldestAge(TimeProvider.System.GetUtcNow()),
            "s",
            "Age of the oldest emission awaiting confirmation on this silo (0 when none).");
    }

    /// <summary>Sets what <paramref name="grain"/> awaits: the emission times of its pending emissions (empty: none).</summary>
    public void Report(string grain, IEnumerable<DateTimeOffset> emittedAt)
    {
        ArgumentNullException.ThrowIfNull(emittedAt);
        var times = emittedAt as DateTimeOffset[] ?? [.. emittedAt];
        if (times.Length == 0)
        {
            _byGrain.TryRemove(grain, out _);
        }
        else
        {
            _byGrain[grain] = times;
        }
    }

    /// <summary>The grain is deactivated (or its state unknown): it no longer counts here.</summary>
    public void Forget(string grain) => _byGrain.TryRemove(grain, out _);

    /// <summary>How many emissions are pending.</summary>
    public int Count => _byGrain.Values.Sum(v => v.Length);

    private double OldestAge(DateTimeOffset now)
    {
        DateTimeOffset? oldest = null;
        foreach (var times in _byGrain.Values)
        {
            foreach (var t in times)
            {
                if (oldest is null || t < oldest)
                {
                    oldest = t;
                }
            }
        }

        return oldest is { } o ? Math.Max(0, (now - o).TotalSeconds) : 0;
    }
}
