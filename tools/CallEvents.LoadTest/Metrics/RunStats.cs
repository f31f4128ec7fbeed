using System.Collections.Concurrent;
using System.Diagnostics;

namespace CallEvents.LoadTest.Metrics;

/// <summary>One second of the run: acknowledged deliveries completed in it and their latency.</summary>
public sealed record SecondSample(int Second, long Acknowledged, long Errors, double P50Ms, double P99Ms, double MaxMs);

/// <summary>Counters, latency histograms (overall and per second) and error tallies of one run. Thread-safe.</summary>
public sealed class RunStats
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<int, LatencyHistogram> _perSecond = new();
    private readonly ConcurrentDictionary<int, long[]> _perSecondErrors = new();
    private readonly ConcurrentDictionary<string, long> _finalErrors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _retried = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(double Second, string What)> _marks = new();
    private long _acknowledged;
    private long _duplicatesAcknowledged;
    private long _measuredAcknowledged;
    private long _attempts;
    private long _deliveries;
    private double _warmupSeconds;

    public RunStats(double warmupSeconds = 0) => _warmupSeconds = warmupSeconds;

    /// <summary>Latency of acknowledged deliveries completed after the warm-up.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Latency of every acknowledged delivery, warm-up included.</summary>
    public LatencyHistogram AllLatency { get; } = new();

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

    public void Mark(string what) => _marks.Enqueue((_clock.Elapsed.TotalSeconds, what));

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
        var microseconds = latencyTicks / 10;
        Interlocked.Increment(ref _acknowledged);
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicatesAcknowledged);
        }

        AllLatency.Record(microseconds);
        _perSecond.GetOrAdd((int)now.TotalSeconds, _ => new LatencyHistogram()).Record(microseconds);
        if (now.TotalSeconds >= _warmupSeconds)
        {
            Interlocked.Increment(ref _measuredAcknowledged);
            Latency.Record(microseconds);
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
                : new SecondSample(s, h.Count, errors, h.Percentile(50) / 1000.0, h.Percentile(99) / 1000.0, h.MaxMicroseconds / 1000.0));
        }

        return series;
    }

    /// <summary>Measured throughput: acknowledged deliveries after the warm-up per second of measured time.</summary>
    public double Throughput(TimeSpan sendPhase)
    {
        var measured = sendPhase.TotalSeconds - _warmupSeconds;
        return measured <= 0 ? 0 : MeasuredAcknowledged / measured;
    }

    private void ErrorAt(TimeSpan now) =>
        Interlocked.Increment(ref _perSecondErrors.GetOrAdd((int)now.TotalSeconds, _ => new long[1])[0]);
}
