using System.Globalization;
using CallEvents.LoadTest.Bench;
using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Reporting;
using CallEvents.LoadTest.Targets;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Running;

/// <summary>The three modes: grain, http and bench.</summary>
public static class Modes
{
    /// <summary>Concurrency of the in-memory subjects (e) and (f): enough in flight to keep one silo's scheduler busy.</summary>
    private const int MemoryConcurrency = 256;

    private const string TallyNote =
        "follow-ups: the tool's TallyFollowUpGrain (a no-action follow-up, as a user's would be) is registered, so every PCA-ready call and finished workflow execution also costs an emission, a decision write and a confirmation, all part of the measured load";

    /// <summary>One run's figures, and the model it was verified against.</summary>
    public sealed record Driven(RunReport Report, WorkloadGenerator Generator, RunStats Stats);

    public static async Task<LoadTestReport> RunAsync(CommandLine cli, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        return cli.Mode switch
        {
            "grain" => await GrainAsync(cli, log, cancellationToken),
            "http" => await HttpAsync(cli, log, cancellationToken),
            "chaos" => await Chaos.ChaosRun.RunAsync(cli, cli.Faults, log, cancellationToken),
            _ => await BenchAsync(cli, log, cancellationToken),
        };
    }

    /// <summary>Sends one workload to a target, then verifies every entity it touched.</summary>
    public static async Task<Driven> DriveAsync(
        string name, IDeliveryTarget target, IFaultInjector? faults, WorkloadOptions workload, LoadShape shape, CommandLine cli,
        string storage, int? silos, TextWriter log, CancellationToken cancellationToken, Func<Task>? afterSend = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(log);
        await log.WriteLineAsync($"{name}: {shape.Describe()} → {target.Description}");
        var generator = new WorkloadGenerator(workload);
        var stats = new RunStats();
        var runner = new LoadRunner(generator, target, stats, shape, log);
        var sampler = new ProcessSampler();
        var outcome = await runner.RunAsync(faults, cancellationToken);
        var process = await sampler.StopAsync();
        await sampler.DisposeAsync();
        if (afterSend is not null)
        {
            await afterSend();
        }

        Verdict? verdict = null;
        if (cli.Verify)
        {
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name}: verifying {generator.Entities.Count:N0} entities..."));
            verdict = await Verifier.VerifyAsync(generator.Entities, target.ReadAsync, cli.VerifyParallelism, cli.Settle, cancellationToken);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name}: verdict {(verdict.Passed ? "PASS" : "FAIL")} ({verdict.PassedEntities:N0}/{verdict.Checked:N0} entities, {verdict.DescribeEmissions()}, {verdict.Elapsed.TotalSeconds:0.0} s)"));
        }

        var report = RunReport.From(name, target is GrainTarget ? "grain API" : "HTTP", shape.Describe(), storage, silos, stats, outcome.SendPhase, verdict, outcome.FaultLog) with { Process = process };
        return new Driven(report, generator, stats);
    }

    private static async Task<LoadTestReport> GrainAsync(CommandLine cli, TextWriter log, CancellationToken cancellationToken)
    {
        var runs = new List<RunReport>();
        IReadOnlyList<StateSizeReport> sizes = [];
        var notes = new List<string>();
        await using var postgres = cli.Postgres is null ? null : await PostgresProvider.StartAsync(cli.Postgres, separateDatabases: false, cli.PgStats, log, cli.Fsync);
        if (cli.Shape.KillSiloAt is not null && postgres is null)
        {
            const string Warning = "memory storage lives in grains of the silos: killing a silo loses the state its storage grains held, so acknowledged events can be lost (use --postgres for a durable kill test)";
            notes.Add(Warning);
            await log.WriteLineAsync("warning: " + Warning);
        }

        var storage = postgres is null ? "memory" : $"PostgreSQL ({postgres.Describe()})";
        if (cli.Prewarm > 0)
        {
            var prewarmDatabase = postgres is null ? null : await postgres.DatabaseAsync("loadtest_prewarm");
            var warm = await GrainCluster.StartAsync(cli.Silos, prewarmDatabase);
            try
            {
                var shape = cli.Shape with { Duration = TimeSpan.FromSeconds(cli.Prewarm), KillSiloAt = null, Progress = false, WarmupSeconds = 0 };
                var driven = await DriveAsync("prewarm (not reported)", new GrainTarget(() => warm.Factories, cli.Timeout), null, cli.Workload with { Unbounded = true, Seed = cli.Workload.Seed + 1000 }, shape, cli with { Verify = false }, storage, cli.Silos, log, cancellationToken);
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"prewarm: {cli.Prewarm:0} s of unmeasured load on a throwaway cluster first ({driven.Report.EventsPerSecond:N0} deliveries/s)"));
            }
            finally
            {
                await warm.DisposeAsync();
            }
        }

        for (var i = 1; i <= cli.Repeat; i++)
        {
            var connectionString = postgres is null ? null : await postgres.DatabaseAsync("loadtest_grain");
            await log.WriteLineAsync($"starting a {cli.Silos}-silo in-process cluster ({storage})...");
            var cluster = await GrainCluster.StartAsync(cli.Silos, connectionString);
            Driven driven;
            DatabaseProbe? probe;
            try
            {
                if (sizes.Count == 0)
                {
                    sizes = StateSizeProbe.Measure(cluster.Serializer);
                }

                probe = await DatabaseProbe.StartAsync(postgres, connectionString);
                var target = new GrainTarget(() => cluster.Factories, cli.Timeout);
                var name = cli.Repeat > 1 ? $"grain {Label(cli)} #{i}" : $"grain {Label(cli)}";
                driven = await DriveAsync(name, target, cluster, cli.Workload, cli.Shape, cli, storage, cli.Silos, log, cancellationToken, probe is null ? null : probe.CaptureStatementsAsync);
            }
            finally
            {
                await cluster.DisposeAsync();
            }

            var report = driven.Report;
            if (probe is not null)
            {
                report = report with { Database = await probe.FinishAsync(connectionString!, report.Acknowledged) };
            }

            runs.Add(report);
        }

        notes.Add(TallyNote);
        return Assemble(cli, runs, sizes, notes, bench: null);
    }

    private static async Task<LoadTestReport> HttpAsync(CommandLine cli, TextWriter log, CancellationToken cancellationToken)
    {
        var runs = new List<RunReport>();
        var notes = new List<string>();
        await using var postgres = cli.Urls.Count == 0 && cli.Postgres is not null ? await PostgresProvider.StartAsync(cli.Postgres, separateDatabases: false, cli.PgStats, log, cli.Fsync) : null;
        if (cli.Prewarm > 0)
        {
            var prewarmDatabase = postgres is null ? null : await postgres.DatabaseAsync("loadtest_prewarm");
            var warm = cli.Urls.Count == 0 ? await InProcessHost.StartAsync(prewarmDatabase, cli.HostArgs) : null;
            try
            {
                using var target = new HttpTarget(warm is null ? cli.Urls : [warm.BaseAddress], cli.Timeout, Connections(cli), headers: cli.Headers, queryHeaders: cli.QueryHeaders, tallyRegistered: warm is not null);
                var shape = cli.Shape with { Duration = TimeSpan.FromSeconds(cli.Prewarm), Progress = false, WarmupSeconds = 0 };
                var driven = await DriveAsync("prewarm (not reported)", target, null, cli.Workload with { Unbounded = true, Seed = cli.Workload.Seed + 1000 }, shape, cli with { Verify = false }, "prewarm", null, log, cancellationToken);
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"prewarm: {cli.Prewarm:0} s of unmeasured load first ({driven.Report.EventsPerSecond:N0} deliveries/s)"));
            }
            finally
            {
                if (warm is not null)
                {
                    await warm.DisposeAsync();
                }
            }
        }

        for (var i = 1; i <= cli.Repeat; i++)
        {
            var name = cli.Repeat > 1 ? $"http {Label(cli)} #{i}" : $"http {Label(cli)}";
            if (cli.Urls.Count > 0)
            {
                using var target = new HttpTarget(cli.Urls, cli.Timeout, Connections(cli), headers: cli.Headers, queryHeaders: cli.QueryHeaders);
                var driven = await DriveAsync(name, target, null, cli.Workload, cli.Shape, cli, "as configured on the host", null, log, cancellationToken);
                runs.Add(driven.Report);
                continue;
            }

            var connectionString = postgres is null ? null : await postgres.DatabaseAsync("loadtest_http");
            var storage = postgres is null ? "memory (embedded host)" : $"PostgreSQL ({postgres.Describe()})";
            await log.WriteLineAsync($"starting an in-process host ({storage})...");
            var host = await InProcessHost.StartAsync(connectionString, cli.HostArgs);
            Driven result;
            DatabaseProbe? probe;
            try
            {
                probe = await DatabaseProbe.StartAsync(postgres, connectionString);
                using var target = new HttpTarget([host.BaseAddress], cli.Timeout, Connections(cli), headers: cli.Headers, queryHeaders: cli.QueryHeaders, tallyRegistered: true);
                result = await DriveAsync(name, target, null, cli.Workload, cli.Shape, cli, storage, 1, log, cancellationToken, probe is null ? null : probe.CaptureStatementsAsync);
            }
            finally
            {
                await host.DisposeAsync();
            }

            var report = result.Report;
            if (probe is not null)
            {
                report = report with { Database = await probe.FinishAsync(connectionString!, report.Acknowledged) };
            }

            runs.Add(report);
        }

        notes.Add("in-process host: started with " + string.Join(' ', InProcessHost.LoadTestArgs));
        if (cli.Urls.Count == 0)
        {
            notes.Add(TallyNote);
        }
        return Assemble(cli, runs, [], notes, bench: null);
    }

    private static async Task<LoadTestReport> BenchAsync(CommandLine cli, TextWriter log, CancellationToken cancellationToken)
    {
        var concurrency = cli.Shape.Concurrency;
        var measured = TimeSpan.FromSeconds(cli.BenchSeconds + cli.Shape.WarmupSeconds);
        var closed = cli.Shape with { Duration = measured, Rate = null, KillSiloAt = null };
        var workload = cli.Workload with { Unbounded = true };
        var runs = new List<RunReport>();
        var pgbenchRuns = new List<PgBenchResult>();
        var notes = new List<string>();
        var pgbench = PgBench.Find();
        var ceilings = new List<double>();
        await using var postgres = await PostgresProvider.StartAsync(cli.Postgres ?? "auto", separateDatabases: true, cli.PgStats, log, cli.Fsync);
        if (cli.Prewarm > 0)
        {
            // Unmeasured load on both endpoints first, so the first measured repeat is not the JIT's.
            var warmShape = closed with { Duration = TimeSpan.FromSeconds(cli.Prewarm), Progress = false, WarmupSeconds = 0 };
            var warmWorkload = workload with { Seed = workload.Seed + 1000 };
            await using (var baseline = await BaselineServer.StartAsync(await postgres.DatabaseAsync("bench_prewarm_baseline"), Math.Max(16, concurrency)))
            {
                using var target = new HttpTarget([baseline.BaseAddress], cli.Timeout, Connections(cli), pathTemplate: "/webhook");
                await DriveAsync("prewarm (not reported): baseline", target, null, warmWorkload, warmShape, cli with { Verify = false }, "prewarm", null, log, cancellationToken);
            }

            var host = await InProcessHost.StartAsync(await postgres.DatabaseAsync("bench_prewarm_ours"), cli.HostArgs);
            try
            {
                using var target = new HttpTarget([host.BaseAddress], cli.Timeout, Connections(cli));
                await DriveAsync("prewarm (not reported): our ingress", target, null, warmWorkload, warmShape, cli with { Verify = false }, "prewarm", 1, log, cancellationToken);
            }
            finally
            {
                await host.DisposeAsync();
            }

            notes.Add(string.Create(CultureInfo.InvariantCulture, $"prewarm: {cli.Prewarm:0} s of unmeasured load on each endpoint first (own databases)"));
        }

        for (var i = 1; i <= cli.Repeat; i++)
        {
            var suffix = cli.Repeat > 1 ? $" #{i}" : string.Empty;

            // (c) PostgreSQL alone: pgbench with a single-row upsert per transaction.
            if (pgbench is not null)
            {
                await log.WriteLineAsync($"(c) pgbench{suffix}: -c {concurrency} -j 2 -T {cli.BenchSeconds}");
                var database = await postgres.DatabaseAsync("bench_pgbench");
                var result = await PgBench.RunAsync(pgbench, database, concurrency, 2, cli.BenchSeconds, Path.Combine(cli.Out, "pgbench"));
                pgbenchRuns.Add(result);
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"(c) pgbench{suffix}: {result.Tps:N0} tps"));
            }

            // (b) the hand-written baseline endpoint.
            {
                var database = await postgres.DatabaseAsync("bench_baseline");
                await using var baseline = await BaselineServer.StartAsync(database, Math.Max(16, concurrency));
                using var target = new HttpTarget([baseline.BaseAddress], cli.Timeout, Connections(cli), pathTemplate: "/webhook");
                var driven = await DriveAsync($"(b) baseline endpoint{suffix}", target, null, workload, closed, cli with { Verify = false }, "PostgreSQL, one INSERT per event", null, log, cancellationToken);
                var rows = await baseline.CountAsync();
                var distinct = driven.Generator.Entities.Sum(e => e.Events.Count(x => x.Acknowledged > 0));
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"(b){suffix}: {rows:N0} rows stored for {distinct:N0} distinct events acknowledged ({(rows == distinct ? "consistent" : "INCONSISTENT")})"));
                runs.Add(driven.Report);
            }

            // (a) our ingress, PostgreSQL-durable, in this process: closed loop, then open loop at half its throughput.
            {
                var database = await postgres.DatabaseAsync("bench_ours");
                await log.WriteLineAsync($"(a) starting the host in-process on PostgreSQL{suffix}...");
                var host = await InProcessHost.StartAsync(database, cli.HostArgs);
                DatabaseProbe? probe = null;
                RunReport closedReport;
                RunReport openReport;
                try
                {
                    probe = await DatabaseProbe.StartAsync(postgres, database);
                    using var target = new HttpTarget([host.BaseAddress], cli.Timeout, Connections(cli), tallyRegistered: true);
                    var ours = await DriveAsync($"(a) our ingress, closed loop{suffix}", target, null, workload, closed, cli, "PostgreSQL (durable host)", 1, log, cancellationToken, probe is null ? null : probe.CaptureStatementsAsync);
                    closedReport = ours.Report;
                    var half = Math.Max(1, closedReport.EventsPerSecond / 2);
                    var open = closed with { Rate = half, MaxInFlight = Math.Max(1000, concurrency * 32) };
                    using var openTarget = new HttpTarget([host.BaseAddress], cli.Timeout, Math.Max(Connections(cli), 256), tallyRegistered: true);
                    var halfRun = await DriveAsync(string.Create(CultureInfo.InvariantCulture, $"(a) our ingress, open loop at half{suffix}"), openTarget, null, workload with { Seed = workload.Seed + 1 }, open, cli, "PostgreSQL (durable host)", 1, log, cancellationToken);
                    openReport = halfRun.Report;
                }
                finally
                {
                    await host.DisposeAsync();
                }

                if (probe is not null)
                {
                    closedReport = closedReport with { Database = await probe.FinishAsync(database, closedReport.Acknowledged + openReport.Acknowledged) };
                }

                runs.Add(closedReport);
                runs.Add(openReport);
            }

            // (d) the grain API on PostgreSQL, same concurrency: what the journal does without HTTP in front.
            {
                var database = await postgres.DatabaseAsync("bench_grain");
                await log.WriteLineAsync($"(d) starting a one-silo cluster on PostgreSQL{suffix}...");
                var cluster = await GrainCluster.StartAsync(1, database);
                DatabaseProbe? probe = null;
                RunReport report;
                try
                {
                    probe = await DatabaseProbe.StartAsync(postgres, database);
                    var driven = await DriveAsync($"(d) grain API on PostgreSQL{suffix}", new GrainTarget(() => cluster.Factories, cli.Timeout), null, workload, closed, cli, "PostgreSQL (journal)", 1, log, cancellationToken, probe is null ? null : probe.CaptureStatementsAsync);
                    report = driven.Report;
                }
                finally
                {
                    await cluster.DisposeAsync();
                }

                if (probe is not null)
                {
                    report = report with { Database = await probe.FinishAsync(database, report.Acknowledged) };
                }

                runs.Add(report);
            }

            // (e) the grain API in memory (the embedded journal), and (f) the ceiling: a no-op grain on the same silo.
            {
                await log.WriteLineAsync($"(e, f) starting a one-silo memory cluster{suffix}...");
                var cluster = await GrainCluster.StartAsync(1, null);
                try
                {
                    var memoryShape = closed with { Concurrency = MemoryConcurrency };
                    var driven = await DriveAsync($"(e) grain API in memory{suffix}", new GrainTarget(() => cluster.Factories, cli.Timeout), null, workload, memoryShape, cli, "memory (embedded journal)", 1, log, cancellationToken);
                    runs.Add(driven.Report);
                    var ceiling = await DriveAsync($"(f) trivial-grain ceiling{suffix}", new GrainTarget(() => cluster.Factories, cli.Timeout, trivial: true), null, workload, memoryShape, cli with { Verify = false }, "none (a no-op grain)", 1, log, cancellationToken);
                    ceilings.Add(ceiling.Report.EventsPerSecond);
                    runs.Add(ceiling.Report);
                }
                finally
                {
                    await cluster.DisposeAsync();
                }
            }
        }

        // Measured once, after the repeats, when nothing else runs on the server or in the process.
        var wal = await WalProbe.MeasureAsync(postgres, log, cancellationToken);
        var memory = await MemoryProbe.MeasureAsync(cli, log, cancellationToken);

        var oursRuns = runs.Where(r => r.Name.StartsWith("(a) our ingress, closed", StringComparison.Ordinal)).ToList();
        var openRuns = runs.Where(r => r.Name.StartsWith("(a) our ingress, open", StringComparison.Ordinal)).ToList();
        var baselineRuns = runs.Where(r => r.Name.StartsWith("(b)", StringComparison.Ordinal)).ToList();
        var grainRuns = runs.Where(r => r.Name.StartsWith("(d)", StringComparison.Ordinal)).ToList();
        var memoryRuns = runs.Where(r => r.Name.StartsWith("(e)", StringComparison.Ordinal)).ToList();
        var pgTps = pgbenchRuns.Count == 0 ? (double?)null : Median(pgbenchRuns.Select(r => r.Tps));
        var grainRate = Median(grainRuns.Select(r => r.EventsPerSecond));
        var memoryRate = Median(memoryRuns.Select(r => r.EventsPerSecond));
        var ceilingRate = Median(ceilings);
        var ratios = new BenchRatios(
            pgTps is { } tps && tps > 0 ? grainRate / tps : null,
            Median(baselineRuns.Select(r => r.EventsPerSecond)) is var b and > 0 ? Median(oursRuns.Select(r => r.EventsPerSecond)) / b : 0,
            ceilingRate > 0 ? memoryRate / ceilingRate : 0,
            MedianOrNull(oursRuns.Select(r => r.Database?.TransactionsPerDelivery)),
            MedianOrNull(grainRuns.Select(r => r.Database?.TransactionsPerDelivery)),
            MedianOrNull(memoryRuns.Select(r => r.Process is { } p && r.Acknowledged > 0 ? p.AllocatedMiB * 1024 / r.Acknowledged : (double?)null)),
            Median(openRuns.Select(r => r.Latency.P99Ms)),
            wal.WalBytes,
            wal.LastToFirst,
            memory.ResidentBytesPerCall,
            memory.HeapBytesPerCall);
        var bench = new BenchSummary
        {
            GrainDurableEventsPerSecond = grainRate,
            GrainMemoryEventsPerSecond = memoryRate,
            TrivialCeilingPerSecond = ceilingRate,
            MemoryConcurrency = MemoryConcurrency,
            Wal = wal,
            Memory = memory,
            Ratios = ratios,
            Concurrency = concurrency,
            Seconds = cli.BenchSeconds,
            Postgres = postgres.Describe(),
            HostPlacement = "in this process (CallEventHost.Build, one silo + Kestrel), sharing the 2 cores with the load generator, as the baseline does",
            OursEventsPerSecond = Median(oursRuns.Select(r => r.EventsPerSecond)),
            BaselineEventsPerSecond = Median(baselineRuns.Select(r => r.EventsPerSecond)),
            PgBenchTps = pgbenchRuns.Count == 0 ? null : Median(pgbenchRuns.Select(r => r.Tps)),
            HalfLoadRate = Median(openRuns.Select(r => r.EventsPerSecond)),
            HalfLoadP50Ms = Median(openRuns.Select(r => r.Latency.P50Ms)),
            HalfLoadP99Ms = Median(openRuns.Select(r => r.Latency.P99Ms)),
            PgBenchRuns = pgbenchRuns,
        };
        notes.Add("(a) host arguments: " + string.Join(' ', InProcessHost.LoadTestArgs.Concat(cli.HostArgs)));
        notes.Add("the (a) and (b) database profiles count the whole run, both loops of (a) included");
        notes.Add("(a): " + TallyNote);
        return Assemble(cli, runs, [], notes, bench);
    }

    private static double? MedianOrNull(IEnumerable<double?> values)
    {
        var present = values.OfType<double>().ToList();
        return present.Count == 0 ? null : Median(present);
    }

    private static LoadTestReport Assemble(CommandLine cli, List<RunReport> runs, IReadOnlyList<StateSizeReport> sizes, List<string> notes, BenchSummary? bench) => new()
    {
        Mode = cli.Mode,
        Date = DateTimeOffset.UtcNow,
        Machine = MachineInfo.Current(),
        CommandLine = "dotnet run -c Release --project tools/CallEvents.LoadTest -- " + cli.Raw,
        Workload = cli.DescribeWorkload(),
        Runs = runs,
        Medians = [.. runs.GroupBy(r => StripRepeat(r.Name)).Select(g => new MedianSummary(
            g.Key,
            g.Count(),
            Median(g.Select(r => r.EventsPerSecond)),
            Median(g.Select(r => r.Latency.P50Ms)),
            Median(g.Select(r => r.Latency.P95Ms)),
            Median(g.Select(r => r.Latency.P99Ms)),
            Median(g.Select(r => r.Latency.MaxMs)),
            g.All(r => r.Verdict is null || r.Verdict.Passed)))],
        Bench = bench,
        StateSizes = sizes,
        Notes = notes,
    };

    private static string Label(CommandLine cli) => cli.Shape.Rate is { } rate
        ? string.Create(CultureInfo.InvariantCulture, $"rate {rate:0}/s")
        : string.Create(CultureInfo.InvariantCulture, $"c={cli.Shape.Concurrency}");

    private static int Connections(CommandLine cli) => cli.Shape.Rate is null ? cli.Shape.Concurrency : Math.Min(cli.Shape.MaxInFlight, 1024);

    private static string StripRepeat(string name)
    {
        var hash = name.LastIndexOf(" #", StringComparison.Ordinal);
        return hash > 0 ? name[..hash] : name;
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return 0;
        }

        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
