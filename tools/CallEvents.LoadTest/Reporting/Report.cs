using CallEvents.LoadTest.Bench;
using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Verification;
using HdrHistogram;

namespace CallEvents.LoadTest.Reporting;

/// <summary>Acknowledgement latency of one run, in milliseconds.</summary>
public sealed record LatencySummary(long Count, double P50Ms, double P95Ms, double P99Ms, double P999Ms, double MaxMs, double MeanMs)
{
    /// <summary>Summarises a histogram of microseconds (<see cref="RunStats"/>) in milliseconds.</summary>
    public static LatencySummary From(HistogramBase h)
    {
        ArgumentNullException.ThrowIfNull(h);
        return h.TotalCount == 0
            ? new(0, 0, 0, 0, 0, 0, 0)
            : new(h.TotalCount, Ms(50), Ms(95), Ms(99), Ms(99.9), RunStats.Max(h) / 1000.0, h.GetMean() / 1000.0);

        double Ms(double percentile) => RunStats.Percentile(h, percentile) / 1000.0;
    }
}

/// <summary>One run: what was sent, how fast it was acknowledged, what failed, and the correctness verdict.</summary>
public sealed record RunReport
{
    public required string Name { get; init; }

    public required string Target { get; init; }

    public required string Shape { get; init; }

    public required string Storage { get; init; }

    public int? Silos { get; init; }

    public long Deliveries { get; init; }

    public long Acknowledged { get; init; }

    /// <summary>Acknowledged deliveries the service itself answered as duplicates.</summary>
    public long DuplicatesAcknowledged { get; init; }

    public long Attempts { get; init; }

    public long Retries { get; init; }

    /// <summary>Deliveries that never got a 2xx.</summary>
    public long FailedDeliveries { get; init; }

    public double SendSeconds { get; init; }

    public double WarmupSeconds { get; init; }

    /// <summary>Acknowledged deliveries per second after the warm-up.</summary>
    public double EventsPerSecond { get; init; }

    /// <summary>Latency of deliveries acknowledged after the warm-up.</summary>
    public required LatencySummary Latency { get; init; }

    public IReadOnlyDictionary<string, long> ErrorsByKind { get; init; } = new Dictionary<string, long>();

    public IReadOnlyDictionary<string, long> RetriesByKind { get; init; } = new Dictionary<string, long>();

    public Verdict? Verdict { get; init; }

    public IReadOnlyList<string> Faults { get; init; } = [];

    public IReadOnlyList<SecondSample> Series { get; init; } = [];

    public IReadOnlyList<MarkReport> Marks { get; init; } = [];

    /// <summary>Attempts answered per second by status (<c>2xx</c>, <c>503</c>, <c>500</c>, <c>timeout</c>, <c>no connection</c>).</summary>
    public IReadOnlyList<StatusSecond> Statuses { get; init; } = [];

    /// <summary>Attempts answered by status over the whole run.</summary>
    public IReadOnlyDictionary<string, long> StatusTotals { get; init; } = new Dictionary<string, long>();

    /// <summary>CPU, GC and thread-pool figures of this process during the send phase.</summary>
    public ProcessSummary? Process { get; init; }

    /// <summary>PostgreSQL work per acknowledged delivery, when measured.</summary>
    public DatabaseProfile? Database { get; init; }

    public static RunReport From(string name, string target, string shape, string storage, int? silos, RunStats stats, TimeSpan sendPhase, Verdict? verdict, IReadOnlyList<string> faults)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return new RunReport
        {
            Name = name,
            Target = target,
            Shape = shape,
            Storage = storage,
            Silos = silos,
            Deliveries = stats.Deliveries,
            Acknowledged = stats.Acknowledged,
            DuplicatesAcknowledged = stats.DuplicatesAcknowledged,
            Attempts = stats.Attempts,
            Retries = stats.Retries,
            FailedDeliveries = stats.FinalErrors,
            SendSeconds = sendPhase.TotalSeconds,
            WarmupSeconds = stats.WarmupSeconds,
            EventsPerSecond = stats.Throughput(sendPhase),
            Latency = LatencySummary.From(stats.Latency),
            ErrorsByKind = stats.FinalErrorsByKind,
            RetriesByKind = stats.RetriesByKind,
            Verdict = verdict,
            Faults = faults,
            Series = stats.Series(),
            Marks = [.. stats.Marks.Select(m => new MarkReport(m.Second, m.What))],
            Statuses = stats.StatusSeries(),
            StatusTotals = stats.StatusTotals(),
        };
    }
}

public sealed record MarkReport(double Second, string What);

/// <summary>Database work of a run: transactions and rows per acknowledged delivery, top statements, stored sizes.</summary>
public sealed record DatabaseProfile(
    DatabaseCounters Delta,
    double TransactionsPerDelivery,
    double RowsWrittenPerDelivery,
    IReadOnlyList<StatementStat> TopStatements,
    IReadOnlyList<StorageSize> StoredState);

/// <summary>Medians over repeated runs of one configuration.</summary>
public sealed record MedianSummary(string Name, int Runs, double EventsPerSecond, double P50Ms, double P95Ms, double P99Ms, double MaxMs, bool AllVerdictsPassed);

/// <summary>Serialized grain state of typical entities, after each of their events.</summary>
public sealed record StateSizeReport(string Entity, IReadOnlyList<int> BytesAfterEachEvent, int RawPayloadBytes);

/// <summary>The benchmark's headline figures.</summary>
/// <summary>The goal figures of a bench run (all from the same run).</summary>
/// <param name="GrainDurableToPgbench">(d) grain API on PostgreSQL ÷ (c) pgbench single-row upsert tps.</param>
/// <param name="HttpDurableToBaseline">(a) HTTP on PostgreSQL ÷ (b) the hand-written Npgsql endpoint.</param>
/// <param name="MemoryToTrivialCeiling">(e) grain API in memory ÷ (f) the trivial-grain ceiling.</param>
/// <param name="PgTransactionsPerDelivery">PostgreSQL transactions (commits + rollbacks) per acknowledged delivery of (a).</param>
/// <param name="GrainPgTransactionsPerDelivery">The same for (d).</param>
/// <param name="AllocatedKiBPerDelivery">Bytes allocated by the whole process (load generator included) per acknowledged delivery of (e), in KiB.</param>
/// <param name="OpenLoopP99Ms">p99 of (a) in open loop at half its closed-loop throughput.</param>
/// <param name="WalBytes1000NodeEvents">WAL written for 1,000 node events of ~0.9 KB into one execution.</param>
/// <param name="Last250ToFirst250">Wall time of the last 250 of those events ÷ the first 250.</param>
/// <param name="EmbeddedResidentBytesPerCall">Embedded mode: resident memory per stored call after idle.</param>
/// <param name="EmbeddedHeapBytesPerCall">Embedded mode: managed heap per stored call after idle.</param>
public sealed record BenchRatios(
    double? GrainDurableToPgbench,
    double HttpDurableToBaseline,
    double MemoryToTrivialCeiling,
    double? PgTransactionsPerDelivery,
    double? GrainPgTransactionsPerDelivery,
    double? AllocatedKiBPerDelivery,
    double OpenLoopP99Ms,
    long? WalBytes1000NodeEvents,
    double? Last250ToFirst250,
    double? EmbeddedResidentBytesPerCall,
    double? EmbeddedHeapBytesPerCall);

/// <summary>Write amplification of one entity.</summary>
public sealed record WalReport(int Events, long PayloadBytes, long WalBytes, double First250Ms, double Last250Ms, double LastToFirst);

/// <summary>Memory retained by the embedded journal.</summary>
public sealed record MemoryReport(int StoredCalls, long Deliveries, long ResidentBytes, long HeapBytes, double ResidentBytesPerCall, double HeapBytesPerCall);

public sealed record BenchSummary
{
    public required int Concurrency { get; init; }

    public required int Seconds { get; init; }

    public required string Postgres { get; init; }

    public required string HostPlacement { get; init; }

    /// <summary>(a) our ingress with PostgreSQL durability, closed loop: median events/s.</summary>
    public double OursEventsPerSecond { get; init; }

    /// <summary>(b) the hand-written baseline endpoint: median events/s.</summary>
    public double BaselineEventsPerSecond { get; init; }

    /// <summary>(c) pgbench single-row upsert: median tps (null when pgbench is missing).</summary>
    public double? PgBenchTps { get; init; }

    public double RatioOursToBaseline => BaselineEventsPerSecond == 0 ? 0 : OursEventsPerSecond / BaselineEventsPerSecond;

    public double? RatioOursToPgBench => PgBenchTps is { } tps && tps > 0 ? OursEventsPerSecond / tps : null;

    /// <summary>(a) open loop at half its own closed-loop throughput.</summary>
    public double HalfLoadRate { get; init; }

    public double HalfLoadP50Ms { get; init; }

    public double HalfLoadP99Ms { get; init; }

    public IReadOnlyList<PgBenchResult> PgBenchRuns { get; init; } = [];

    /// <summary>(d) the grain API on PostgreSQL, closed loop: median events/s.</summary>
    public double GrainDurableEventsPerSecond { get; init; }

    /// <summary>(e) the grain API in memory (the embedded journal), closed loop: median events/s.</summary>
    public double GrainMemoryEventsPerSecond { get; init; }

    /// <summary>(f) a no-op grain activated every 4 calls, same silo and loop: median calls/s.</summary>
    public double TrivialCeilingPerSecond { get; init; }

    /// <summary>Concurrency of (e) and (f).</summary>
    public int MemoryConcurrency { get; init; }

    /// <summary>Write amplification of one execution with 1,000 node events (measured once per bench).</summary>
    public WalReport? Wal { get; init; }

    /// <summary>Embedded mode's memory per stored call (measured once per bench).</summary>
    public MemoryReport? Memory { get; init; }

    /// <summary>The figures the performance goals are stated in, from this run.</summary>
    public required BenchRatios Ratios { get; init; }
}

/// <summary>Everything a run of the tool wrote: report.json is this, report.md its rendering.</summary>
public sealed record LoadTestReport
{
    public string Tool { get; init; } = "CallEvents.LoadTest";

    public required string Mode { get; init; }

    public required DateTimeOffset Date { get; init; }

    public required MachineInfo Machine { get; init; }

    public required string CommandLine { get; init; }

    public required string Workload { get; init; }

    public IReadOnlyList<RunReport> Runs { get; init; } = [];

    public IReadOnlyList<MedianSummary> Medians { get; init; } = [];

    public BenchSummary? Bench { get; init; }

    public IReadOnlyList<StateSizeReport> StateSizes { get; init; } = [];

    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The chaos mode's faults, failure windows and its own checks (null in the other modes).</summary>
    public Chaos.ChaosSummary? Chaos { get; init; }

    public bool Passed => Runs.All(r => r.Verdict is null || r.Verdict.Passed) && (Chaos is null || Chaos.Passed);
}

public sealed record MachineInfo(int Cores, string Os, string Runtime, double MemoryGiB, bool ServerGc)
{
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1),
        System.Runtime.GCSettings.IsServerGC);
}
