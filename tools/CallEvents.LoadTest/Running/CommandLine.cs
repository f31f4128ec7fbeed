using System.Globalization;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Running;

/// <summary>
/// The tool's options as the modes consume them. <see cref="Cli"/> defines the command line and builds this from
/// it; the defaults here are the ones its help shows.
/// </summary>
public sealed record CommandLine
{
    /// <summary>The default <c>--settle</c> with <c>--kill-silo-at</c>: past the next lifecycle tick (1 minute) with room to spare.</summary>
    public static readonly TimeSpan KillSettle = TimeSpan.FromSeconds(150);

    public required string Mode { get; init; }

    public WorkloadOptions Workload { get; init; } = new();

    public LoadShape Shape { get; init; } = new();

    public int Silos { get; init; } = 2;

    public string? Postgres { get; init; }

    public IReadOnlyList<Uri> Urls { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> QueryHeaders { get; init; } = [];

    public IReadOnlyList<string> HostArgs { get; init; } = [];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(4);

    public int Repeat { get; init; } = 1;

    public int BenchSeconds { get; init; } = 20;

    /// <summary>Seconds of unmeasured load on a throwaway cluster/host first, so the JIT has tiered up (0: none).</summary>
    public double Prewarm { get; init; }

    public bool PgStats { get; init; } = true;

    /// <summary>Start the throwaway PostgreSQL with durable commits (<c>--fsync on</c>).</summary>
    public bool Fsync { get; init; }

    public string Out { get; init; } = Path.Combine("artifacts", "loadtest", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    public bool Verify { get; init; } = true;

    public int VerifyParallelism { get; init; } = 64;

    /// <summary>How long from the start of verification decision-only differences are read again (<c>--settle</c>).</summary>
    public TimeSpan Settle { get; init; } = Verifier.DefaultSettle;

    public string Raw { get; init; } = string.Empty;

    /// <summary>The chaos mode's fault schedule (<c>--faults</c>), parsed.</summary>
    public IReadOnlyList<Chaos.Fault> Faults { get; init; } = [];

    public string DescribeWorkload() => string.Create(
        CultureInfo.InvariantCulture,
        $"{(Workload.Unbounded ? "unbounded (duration-limited)" : $"{Workload.Calls:N0} calls + {Workload.Workflows:N0} workflows")}, {Workload.VerbexShare:P0} Verbex, SubVerse failure rate {Workload.FailureRate:P0}, {Workload.NodesPerWorkflow} nodes/workflow, duplicate rate {Workload.DuplicateRate:P0}, shuffled {Workload.ShuffleShare:P0}, max delay {Workload.MaxDelayMs} ms, window {Workload.Window:N0}, seed {Workload.Seed}");
}
