using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace CallEvents.LoadTest.Metrics;

/// <summary>One second of the run: acknowledged deliveries completed in it and their latency.</summary>
public sealed record SecondSample(int Second, long Acknowledged, long Errors, double P50Ms, double P99Ms, double MaxMs);

/// <summary>One second of the run: every attempt answered in it, by status (<c>2xx</c>, <c>503</c>, <c>500</c>, <c>timeout</c>, ...).</summary>
public sealed record StatusSecond(int Second, IReadOnlyDictionary<string, long> Counts);

/// <summary>
/// Counters, latency histograms (overall and per second, HdrHistogram's thread-safe ones, in microseconds) and error
/// tallies of one run. Thread-safe.
/// </summary>
public sealed class RunStats
{
    /// <summary>
    /// The largest latency a histogram tracks: an hour in microseconds. Attempts time out after seconds, so nothing
    /// real comes near it; a larger value is recorded as this rather than making the histogram throw.
    /// </summary>
    private const long HighestMicroseconds = 3_600_000_000;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<int, HistogramBase> _perSecond = new();
    private readonly ConcurrentDictionary<int, long[]> _perSecondErrors = new();
    private readonly ConcurrentDictionary<(int Second, string Status), long> _statuses = new();
    private readonly ConcurrentDictionary<string, long> _finalErrors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _retried = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(double Second, string What)> _marks = new();
    private readonly ConcurrentDictionary<string, long> _deliveriesAtMark = new(StringComparer.Ordinal);
    private long _acknowledged;
    private long _duplicatesAcknowledged;
    private long _measuredAcknowledged;
    private long _attempts;
    private long _deliveries;
    private double _warmupSeconds;

    public RunStats(double warmupSeconds = 0) => _warmupSeconds = warmupSeconds;

    /// <summary>Latency of acknowledged deliveries completed after the warm-up (3 significant digits: within 0.1 %).</summary>
    public HistogramBase Latency { get; } = new LongConcurrentHistogram(1, HighestMicroseconds, 3);

    /// <summary>Latency of every acknowledged delivery, warm-up included.</summary>
    public HistogramBase AllLatency { get; } = new LongConcurrentHistogram(1, HighestMicroseconds, 3);

    public TimeSpan Elapsed => _clock.Elapsed;

    public double WarmupSeconds => _warmupSeconds;

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long MeasuredAcknowledged => Interlocked.Read(ref _measuredAcknowledged);

    /// <summary>Acknowledged deliveries the service answered as duplicates (as it reported them).</summary>
    public long DuplicatesAcknowledged => Interlocked.Read(ref _duplicatesAcknowledged);

    /// <summary>Attempts made, retries included.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Deliveries started (each may take several attempts).</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    public long FinalErrors => _finalErrors.Values.Sum();

    public long Retries => _retried.Values.Sum();

    /// <summary>Deliveries that never got a 2xx, by the kind of their last failure.</summary>
    public IReadOnlyDictionary<string, long> FinalErrorsByKind => new SortedDictionary<string, long>(_finalErrors, StringComparer.Ordinal);

    /// <summary>Failed attempts that were retried, by kind.</summary>
    public IReadOnlyDictionary<string, long> RetriesByKind => new SortedDictionary<string, long>(_retried, StringComparer.Ordinal);

    public IReadOnlyList<(double Second, string What)> Marks => [.. _marks];

    /// <summary>Restarts the clock (after set-up, just before the first delivery).</summary>
    public void Start(double warmupSeconds)
    {
        _warmupSeconds = warmupSeconds;
        _clock.Restart();
    }

    public long NowTicks => _clock.Elapsed.Ticks;

    public void Mark(string what)
    {
        _deliveriesAtMark[what] = Deliveries;
        _marks.Enqueue((_clock.Elapsed.TotalSeconds, what));
    }

    /// <summary>How many deliveries had started when <paramref name="what"/> was last marked; null if it never was.</summary>
    public long? DeliveriesAtMark(string what) => _deliveriesAtMark.TryGetValue(what, out var count) ? count : null;

    /// <summary>Tallies an attempt's answer under its status, in the second it came.</summary>
    public void Answered(Targets.AttemptResult result) =>
        _statuses.AddOrUpdate(((int)_clock.Elapsed.TotalSeconds, StatusOf(result)), 1, (_, n) => n + 1);

    /// <summary>The status label of an attempt: <c>2xx</c>, the HTTP status, <c>timeout</c> or <c>no connection</c>.</summary>
    public static string StatusOf(Targets.AttemptResult result) => result switch
    {
        { Outcome: Targets.AttemptOutcome.Acknowledged } => "2xx",
        { Kind: "http timeout" } => "timeout",
        { Kind: var kind } when kind.StartsWith("http ", StringComparison.Ordinal) => kind[5..],
        _ => "no connection",
    };

    /// <summary>Attempts answered per second by status, for each second so far.</summary>
    public IReadOnlyList<StatusSecond> StatusSeries()
    {
        var snapshot = _statuses.ToArray();
        var last = snapshot.Length == 0 ? -1 : snapshot.Max(kv => kv.Key.Second);
        return [.. Enumerable.Range(0, last + 1).Select(second => new StatusSecond(
            second,
            new SortedDictionary<string, long>(snapshot.Where(kv => kv.Key.Second == second).ToDictionary(kv => kv.Key.Status, kv => kv.Value), StringComparer.Ordinal)))];
    }

    /// <summary>Attempts answered by status over the whole run.</summary>
    public IReadOnlyDictionary<string, long> StatusTotals() =>
        new SortedDictionary<string, long>(_statuses.GroupBy(kv => kv.Key.Status).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value)), StringComparer.Ordinal);

    public void DeliveryStarted() => Interlocked.Increment(ref _deliveries);

    public void AttemptStarted() => Interlocked.Increment(ref _attempts);

    public void Retried(string kind)
    {
        _retried.AddOrUpdate(kind, 1, (_, n) => n + 1);
        ErrorAt(_clock.Elapsed);
    }

    public void Failed(string kind)
    {
        _finalErrors.AddOrUpdate(kind, 1, (_, n) => n + 1);
        ErrorAt(_clock.Elapsed);
    }

    /// <summary>An acknowledged delivery, <paramref name="latencyTicks"/> after it was due.</summary>
    public void Acknowledge(long latencyTicks, bool duplicate)
    {
        var now = _clock.Elapsed;
        var microseconds = Math.Clamp(latencyTicks / 10, 0, HighestMicroseconds);
        Interlocked.Increment(ref _acknowledged);
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicatesAcknowledged);
        }

        AllLatency.RecordValue(microseconds);

        // Per second only feeds the chart: 2 significant digits (within 1 %) keep each second's histogram at
        // ~27 KB instead of ~190 KB, which matters for long runs.
        _perSecond.GetOrAdd((int)now.TotalSeconds, _ => new LongConcurrentHistogram(1, HighestMicroseconds, 2)).RecordValue(microseconds);
        if (now.TotalSeconds >= _warmupSeconds)
        {
            Interlocked.Increment(ref _measuredAcknowledged);
            Latency.RecordValue(microseconds);
        }
    }

    /// <summary>Acknowledged deliveries per second, p50/p99/max per second, for each second so far.</summary>
    public IReadOnlyList<SecondSample> Series()
    {
        var last = Math.Max(
            _perSecond.Keys.DefaultIfEmpty(-1).Max(),
            _perSecondErrors.Keys.DefaultIfEmpty(-1).Max());
        var series = new List<SecondSample>();
        for (var s = 0; s <= last; s++)
        {
            var h = _perSecond.GetValueOrDefault(s);
            var errors = _perSecondErrors.TryGetValue(s, out var e) ? Interlocked.Read(ref e[0]) : 0;
            series.Add(h is null
                ? new SecondSample(s, 0, errors, 0, 0, 0)
                : new SecondSample(s, h.TotalCount, errors, Percentile(h, 50) / 1000.0, Percentile(h, 99) / 1000.0, Max(h) / 1000.0));
        }

        return series;
    }

    /// <summary>Measured throughput: acknowledged deliveries after the warm-up per second of measured time.</summary>
    public double Throughput(TimeSpan sendPhase)
    {
        var measured = sendPhase.TotalSeconds - _warmupSeconds;
        return measured <= 0 ? 0 : MeasuredAcknowledged / measured;
    }

    /// <summary>The value at <paramref name="percentile"/> (0..100), the upper edge of its bucket (never flattering); 0 when empty.</summary>
    public static long Percentile(HistogramBase histogram, double percentile)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return histogram.TotalCount == 0 ? 0 : histogram.GetValueAtPercentile(percentile);
    }

    /// <summary>The largest value recorded, to the histogram's precision; 0 when empty.</summary>
    public static long Max(HistogramBase histogram) => histogram.TotalCount == 0 ? 0 : histogram.GetMaxValue();

    private void ErrorAt(TimeSpan now) =>
        Interlocked.Increment(ref _perSecondErrors.GetOrAdd((int)now.TotalSeconds, _ => new long[1])[0]);
}
