using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CallEvents.LoadTest.Verification;

namespace CallEvents.LoadTest.Reporting;

/// <summary>Writes report.json, report.md and the charts, and prints the summary table.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task WriteAsync(LoadTestReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(report, JsonOptions));
        await File.WriteAllTextAsync(Path.Combine(directory, "report.md"), Markdown(report));

        var charted = report.Runs.Where(r => r.Series.Count > 0).ToList();
        for (var i = 0; i < charted.Count; i++)
        {
            var run = charted[i];
            var png = ChartRenderer.Render($"{run.Name}: {run.Shape}", run.Series, [.. run.Marks.Select(m => (m.Second, m.What))], report.Chaos is null ? null : run.Statuses);
            await File.WriteAllBytesAsync(Path.Combine(directory, charted.Count == 1 ? "chart.png" : $"chart-{i + 1}-{Slug(run.Name)}.png"), png);
        }

        if (charted.Count > 1)
        {
            // chart.png: the run whose throughput is the median of the first configuration.
            var first = charted.Where(r => r.Name == charted[0].Name).OrderBy(r => r.EventsPerSecond).ToList();
            var median = first[first.Count / 2];
            var png = ChartRenderer.Render($"{median.Name}: {median.Shape}", median.Series, [.. median.Marks.Select(m => (m.Second, m.What))]);
            await File.WriteAllBytesAsync(Path.Combine(directory, "chart.png"), png);
        }
    }

    /// <summary>The table printed at the end of a run.</summary>
    public static string Table(LoadTestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(Invariant($"{"run",-34} {"events/s",10} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"acked",10} {"retries",8} {"failed",7}  verdict"));
        foreach (var run in report.Runs)
        {
            text.AppendLine(Invariant($"{Clip(run.Name, 34),-34} {run.EventsPerSecond,10:N0} {run.Latency.P50Ms,8:0.00} {run.Latency.P95Ms,8:0.00} {run.Latency.P99Ms,8:0.00} {run.Latency.MaxMs,8:0.0} {run.Acknowledged,10:N0} {run.Retries,8:N0} {run.FailedDeliveries,7:N0}  {VerdictText(run)}"));
        }

        if (report.Medians.Any(m => m.Runs > 1))
        {
            text.AppendLine();
            text.AppendLine("medians over repeated runs:");
            foreach (var m in report.Medians)
            {
                text.AppendLine(Invariant($"{Clip(m.Name, 34),-34} {m.EventsPerSecond,10:N0} {m.P50Ms,8:0.00} {m.P95Ms,8:0.00} {m.P99Ms,8:0.00} {m.MaxMs,8:0.0}   ({m.Runs} runs)"));
            }
        }

        foreach (var run in report.Runs.Where(r => r.ErrorsByKind.Count > 0 || r.RetriesByKind.Count > 0))
        {
            text.AppendLine(Invariant($"{run.Name}: retried {Kinds(run.RetriesByKind)}; failed {Kinds(run.ErrorsByKind)}"));
        }

        foreach (var run in report.Runs.Where(r => r.Verdict is { Passed: false }))
        {
            text.AppendLine(Invariant($"{run.Name}: VERDICT FAILED for {run.Verdict!.Failed} of {run.Verdict.Checked} entities; wrong fields: {Kinds(run.Verdict.FailuresByField.ToDictionary(kv => kv.Key, kv => (long)kv.Value))}"));
            foreach (var example in run.Verdict.Examples.Take(5))
            {
                text.AppendLine($"  {example.Key}: {string.Join("; ", example.Differences)}");
            }
        }

        if (report.Bench is { } bench)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"bench (concurrency {bench.Concurrency}, {bench.Seconds} s each, medians):"));
            text.AppendLine(Invariant($"  (a) our ingress, PostgreSQL-durable ........ {bench.OursEventsPerSecond,10:N0} events/s"));
            text.AppendLine(Invariant($"  (b) hand-written baseline endpoint ......... {bench.BaselineEventsPerSecond,10:N0} events/s   a/b = {bench.RatioOursToBaseline:0.00}"));
            text.AppendLine(bench.PgBenchTps is { } tps
                ? Invariant($"  (c) pgbench single-row upsert .............. {tps,10:N0} tps        a/c = {bench.RatioOursToPgBench:0.00}")
                : "  (c) pgbench: not found");
            text.AppendLine(Invariant($"  (a) open loop at {bench.HalfLoadRate:N0}/s (half of max): p50 {bench.HalfLoadP50Ms:0.00} ms, p99 {bench.HalfLoadP99Ms:0.00} ms"));
            text.AppendLine(Invariant($"  (d) grain API on PostgreSQL ................ {bench.GrainDurableEventsPerSecond,10:N0} events/s"));
            text.AppendLine(Invariant($"  (e) grain API in memory, c={bench.MemoryConcurrency} ........... {bench.GrainMemoryEventsPerSecond,10:N0} events/s"));
            text.AppendLine(Invariant($"  (f) trivial-grain ceiling, c={bench.MemoryConcurrency} ......... {bench.TrivialCeilingPerSecond,10:N0} calls/s"));
            text.AppendLine("goal figures:");
            foreach (var (name, value) in Goals(bench.Ratios))
            {
                text.AppendLine(Invariant($"  {name,-58} {value}"));
            }
        }

        return text.ToString();
    }

    private static IEnumerable<(string Name, string Value)> Goals(BenchRatios r)
    {
        static string N(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";
        yield return ("grain API on PostgreSQL ÷ pgbench (d/c)", N(r.GrainDurableToPgbench, "0.00"));
        yield return ("HTTP on PostgreSQL ÷ hand-written endpoint (a/b)", N(r.HttpDurableToBaseline, "0.00"));
        yield return ("PostgreSQL transactions per delivery, HTTP (a)", N(r.PgTransactionsPerDelivery, "0.000"));
        yield return ("PostgreSQL transactions per delivery, grain API (d)", N(r.GrainPgTransactionsPerDelivery, "0.000"));
        yield return ("open-loop p99 at half of the HTTP maximum (ms)", N(r.OpenLoopP99Ms, "0.0"));
        yield return ("grain API in memory ÷ trivial-grain ceiling (e/f)", N(r.MemoryToTrivialCeiling, "0.00"));
        yield return ("allocated per delivery, grain API in memory (KiB)", N(r.AllocatedKiBPerDelivery, "0.0"));
        yield return ("WAL for 1,000 node events of ~0.9 KB (bytes)", N(r.WalBytes1000NodeEvents, "N0"));
        yield return ("last 250 of those ÷ first 250 (wall time)", N(r.Last250ToFirst250, "0.00"));
        yield return ("embedded: resident memory per stored call (bytes)", N(r.EmbeddedResidentBytesPerCall, "N0"));
        yield return ("embedded: managed heap per stored call (bytes)", N(r.EmbeddedHeapBytesPerCall, "N0"));
    }

    private static string Markdown(LoadTestReport report)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Load test report: {report.Mode}");
        md.AppendLine();
        md.AppendLine(Invariant($"- date: {report.Date:yyyy-MM-dd HH:mm} UTC"));
        md.AppendLine(Invariant($"- machine: {report.Machine.Cores} cores, {report.Machine.MemoryGiB} GiB, {report.Machine.Os}, {report.Machine.Runtime}, server GC {report.Machine.ServerGc}"));
        md.AppendLine($"- command: `{report.CommandLine}`");
        md.AppendLine($"- workload: {report.Workload}");
        md.AppendLine($"- correctness verdict: **{(report.Passed ? "PASS" : "FAIL")}**");
        var verdicts = report.Runs.Select(r => r.Verdict).OfType<Verdict>().ToList();
        if (verdicts.Count > 0)
        {
            var emissionsChecked = verdicts.Count(v => v.EmissionsChecked);
            md.AppendLine(emissionsChecked == verdicts.Count
                ? "- emissions: checked (exactly one PCA-ready emission and follow-up decision per call, one workflow-completed decision per completed execution, counted by the tool's own no-action follow-up grain)"
                : Invariant($"- emissions: **not checked** in {verdicts.Count - emissionsChecked} of {verdicts.Count} verified runs (the target does not expose the tool's tally follow-up grain, e.g. an external `--url` host)"));
        }

        foreach (var note in report.Notes)
        {
            md.AppendLine($"- {note}");
        }

        md.AppendLine();
        md.AppendLine("| run | target | shape | storage | events/s | p50 ms | p95 ms | p99 ms | max ms | acked | dup acked | retries | failed | verdict |");
        md.AppendLine("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in report.Runs)
        {
            md.AppendLine(Invariant($"| {r.Name} | {r.Target} | {r.Shape} | {r.Storage} | {r.EventsPerSecond:N0} | {r.Latency.P50Ms:0.00} | {r.Latency.P95Ms:0.00} | {r.Latency.P99Ms:0.00} | {r.Latency.MaxMs:0.0} | {r.Acknowledged:N0} | {r.DuplicatesAcknowledged:N0} | {r.Retries:N0} | {r.FailedDeliveries:N0} | {VerdictText(r)} |"));
        }

        if (report.Runs.Any(r => r.Process is not null))
        {
            md.AppendLine();
            md.AppendLine("## Process (load generator and, in grain mode and in-process hosts, the silos too)");
            md.AppendLine();
            md.AppendLine("| run | process CPU % (100 = 1 core) | machine CPU % | gen0/gen1/gen2 GCs | GC pause ms (% of run) | allocated MiB | allocated KiB per ack | peak heap MiB |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in report.Runs.Where(r => r.Process is not null))
            {
                var p = r.Process!;
                md.AppendLine(Invariant($"| {r.Name} | {p.CpuPercentAverage:0} | {p.MachineCpuPercentAverage:0} | {p.Gen0}/{p.Gen1}/{p.Gen2} | {p.GcPauseMs:N0} ({p.GcPausePercent:0.0} %) | {p.AllocatedMiB:N0} | {(r.Acknowledged == 0 ? 0 : p.AllocatedMiB * 1024 / r.Acknowledged):0.0} | {p.PeakHeapMiB:N0} |"));
            }
        }

        if (report.Medians.Any(m => m.Runs > 1))
        {
            md.AppendLine();
            md.AppendLine("## Medians over repeated runs");
            md.AppendLine();
            md.AppendLine("| configuration | runs | events/s | p50 ms | p95 ms | p99 ms | max ms | all verdicts passed |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---|");
            foreach (var m in report.Medians)
            {
                md.AppendLine(Invariant($"| {m.Name} | {m.Runs} | {m.EventsPerSecond:N0} | {m.P50Ms:0.00} | {m.P95Ms:0.00} | {m.P99Ms:0.00} | {m.MaxMs:0.0} | {m.AllVerdictsPassed} |"));
            }
        }

        if (report.Bench is { } bench)
        {
            md.AppendLine();
            md.AppendLine("## Benchmark (medians)");
            md.AppendLine();
            md.AppendLine(Invariant($"Concurrency {bench.Concurrency}, {bench.Seconds} s per measurement, {bench.Postgres}; host: {bench.HostPlacement}."));
            md.AppendLine();
            md.AppendLine("| subject | throughput |");
            md.AppendLine("|---|---:|");
            md.AppendLine(Invariant($"| (a) our ingress, PostgreSQL-durable | {bench.OursEventsPerSecond:N0} events/s |"));
            md.AppendLine(Invariant($"| (b) hand-written baseline endpoint | {bench.BaselineEventsPerSecond:N0} events/s |"));
            md.AppendLine(bench.PgBenchTps is { } tps ? Invariant($"| (c) pgbench single-row upsert | {tps:N0} tps |") : "| (c) pgbench | not found |");
            md.AppendLine();
            md.AppendLine(Invariant($"- a/b = {bench.RatioOursToBaseline:0.00}; a/c = {(bench.RatioOursToPgBench is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "n/a")}"));
            md.AppendLine(Invariant($"- (a) open loop at {bench.HalfLoadRate:N0} deliveries/s (half its max): p50 {bench.HalfLoadP50Ms:0.00} ms, p99 {bench.HalfLoadP99Ms:0.00} ms"));
            foreach (var run in bench.PgBenchRuns)
            {
                md.AppendLine(Invariant($"- `{run.Command}`: {run.Tps:N0} tps, latency average {run.LatencyAverageMs:0.000} ms"));
            }

            md.AppendLine(Invariant($"- (d) grain API on PostgreSQL: {bench.GrainDurableEventsPerSecond:N0} events/s; (e) grain API in memory (c={bench.MemoryConcurrency}): {bench.GrainMemoryEventsPerSecond:N0} events/s; (f) trivial-grain ceiling: {bench.TrivialCeilingPerSecond:N0} calls/s"));
            md.AppendLine();
            md.AppendLine("| goal figure | this run |");
            md.AppendLine("|---|---:|");
            foreach (var (name, value) in Goals(bench.Ratios))
            {
                md.AppendLine($"| {name} | {value} |");
            }
        }

        if (report.StateSizes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Serialized grain state (Orleans binary serializer)");
            md.AppendLine();
            md.AppendLine("| entity | bytes after each event | raw payload bytes |");
            md.AppendLine("|---|---|---:|");
            foreach (var s in report.StateSizes)
            {
                md.AppendLine($"| {s.Entity} | {string.Join(" → ", s.BytesAfterEachEvent)} | {s.RawPayloadBytes} |");
            }
        }

        foreach (var r in report.Runs.Where(r => r.Database is not null))
        {
            var db = r.Database!;
            md.AppendLine();
            md.AppendLine($"## PostgreSQL work: {r.Name}");
            md.AppendLine();
            md.AppendLine(Invariant($"- transactions per acknowledged delivery: {db.TransactionsPerDelivery:0.00} ({db.Delta.Commits:N0} commits, {db.Delta.Rollbacks:N0} rollbacks)"));
            md.AppendLine(Invariant($"- rows written per acknowledged delivery: {db.RowsWrittenPerDelivery:0.00} (inserted {db.Delta.Inserted:N0}, updated {db.Delta.Updated:N0}, deleted {db.Delta.Deleted:N0})"));
            if (db.StoredState.Count > 0)
            {
                md.AppendLine();
                md.AppendLine("| grain type | rows | avg bytes | max bytes |");
                md.AppendLine("|---|---:|---:|---:|");
                foreach (var s in db.StoredState)
                {
                    md.AppendLine(Invariant($"| {s.GrainType} | {s.Rows:N0} | {s.AverageBytes:N0} | {s.MaxBytes:N0} |"));
                }
            }

            if (db.TopStatements.Count > 0)
            {
                md.AppendLine();
                md.AppendLine("| statement (pg_stat_statements, by total time) | calls | total ms | mean ms | rows |");
                md.AppendLine("|---|---:|---:|---:|---:|");
                foreach (var s in db.TopStatements)
                {
                    md.AppendLine(Invariant($"| `{s.Query.Replace("|", "\\|", StringComparison.Ordinal)}` | {s.Calls:N0} | {s.TotalMs:N0} | {s.MeanMs:0.000} | {s.Rows:N0} |"));
                }
            }
        }

        foreach (var r in report.Runs)
        {
            if (r.ErrorsByKind.Count == 0 && r.RetriesByKind.Count == 0 && r.Faults.Count == 0 && r.Verdict is not { Passed: false })
            {
                continue;
            }

            md.AppendLine();
            md.AppendLine($"## Details: {r.Name}");
            md.AppendLine();
            foreach (var fault in r.Faults)
            {
                md.AppendLine($"- fault: {fault}");
            }

            md.AppendLine($"- retried attempts by kind: {Kinds(r.RetriesByKind)}");
            md.AppendLine($"- failed deliveries by kind: {Kinds(r.ErrorsByKind)}");
            if (r.Verdict is { Passed: false } v)
            {
                md.AppendLine(Invariant($"- verdict: {v.Failed} of {v.Checked} entities wrong ({v.Unreadable} unreadable); by field: {Kinds(v.FailuresByField.ToDictionary(kv => kv.Key, kv => (long)kv.Value))}"));
                foreach (var example in v.Examples)
                {
                    md.AppendLine($"  - `{example.Key}`: {string.Join("; ", example.Differences)}");
                }
            }
        }

        md.AppendLine();
        md.AppendLine("Charts: `chart.png` (and `chart-N-*.png` per run when there are several): deliveries acknowledged per second, failed attempts per second, and p50/p99 acknowledgement latency per second; dashed lines mark faults.");
        return md.ToString();
    }

    private static string VerdictText(RunReport run) => run.Verdict switch
    {
        null => "not verified",
        { Passed: true } v => Invariant($"PASS ({v.Checked:N0} entities, {v.WithUncertainty:N0} with unacknowledged attempts, {Emissions(v)})"),
        var v => Invariant($"FAIL ({v.Failed:N0} of {v.Checked:N0} wrong, {v.Unreadable:N0} unreadable, {Emissions(v)})"),
    };

    private static string Emissions(Verdict verdict) => verdict.EmissionsChecked ? "emissions checked" : "emissions not checked";

    private static string Kinds(IReadOnlyDictionary<string, long> kinds) =>
        kinds.Count == 0 ? "none" : string.Join(", ", kinds.OrderByDescending(kv => kv.Value).Select(kv => Invariant($"{kv.Key}: {kv.Value:N0}")));

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static string Slug(string text) => new([.. text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
