using System.Collections.Concurrent;
using System.Globalization;
using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Reporting;
using CallEvents.LoadTest.Running;
using CallEvents.LoadTest.Targets;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;
using CallEvents.TestSupport;

namespace CallEvents.LoadTest.Chaos;

/// <summary>What happened at one fault, for the report.</summary>
public sealed record FaultReport(double Second, string Fault, double TookSeconds, string Detail);

/// <summary>Deliveries' attempts after a silo was killed or stopped, for one class of grains.</summary>
/// <param name="Attempts">Attempts sent in the window.</param>
/// <param name="Failures">Of them, not answered 2xx.</param>
/// <param name="LastFailureAfterSeconds">From the fault to the last failed attempt's send time (null: none failed).</param>
/// <param name="FailuresPerSecond">Failed attempts in each second after the fault.</param>
/// <param name="AttemptsPerSecond">Attempts in each second after the fault.</param>
public sealed record WindowClass(long Attempts, long Failures, double? LastFailureAfterSeconds, IReadOnlyList<long> FailuresPerSecond, IReadOnlyList<long> AttemptsPerSecond);

/// <summary>
/// The failure window of one silo kill or stop: deliveries to calls whose grain was active on that silo just before
/// (<see cref="OnLostSilo"/>) and to all others (<see cref="OnLiveSilos"/>), until the next fault.
/// </summary>
public sealed record FailureWindow(string Fault, double Second, int GrainsOnLostSilo, double WindowSeconds, WindowClass OnLostSilo, WindowClass OnLiveSilos);

/// <summary>The chaos mode's own part of the report.</summary>
public sealed record ChaosSummary
{
    public required int Silos { get; init; }

    public required string Schedule { get; init; }

    public required IReadOnlyList<string> RetrySchedule { get; init; }

    public IReadOnlyList<FaultReport> Faults { get; init; } = [];

    public IReadOnlyList<FailureWindow> Windows { get; init; } = [];

    /// <summary>Attempts answered 500 (or any 5xx but 503): must be none.</summary>
    public long ServerErrors { get; init; }

    /// <summary>503 answers without a Retry-After header: must be none.</summary>
    public long UnavailableWithoutRetryAfter { get; init; }

    /// <summary>Faults that could not be carried out.</summary>
    public IReadOnlyList<string> FaultErrors { get; init; } = [];

    public bool Passed => ServerErrors == 0 && UnavailableWithoutRetryAfter == 0 && FaultErrors.Count == 0;
}

/// <summary>
/// The <c>chaos</c> mode: a throwaway PostgreSQL and N silo processes (<see cref="SiloProcesses"/>) started by the
/// tool, HTTP load on every silo with a provider's retry schedule, faults on a schedule (silo SIGKILL, SIGTERM,
/// restart; PostgreSQL stop and start), then everything brought back and every entity read back for the verdict.
/// </summary>
public static class ChaosRun
{
    /// <summary>SubVerse's retry schedule: 1 s, 5 s and 25 s after a failed attempt.</summary>
    public static IReadOnlyList<TimeSpan> ProviderRetries { get; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(25)];

    internal sealed record Attempt(string Key, double SentAt, bool Ok);

    public static async Task<LoadTestReport> RunAsync(CommandLine cli, IReadOnlyList<Fault> schedule, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(log);
        var retries = cli.Shape.RetryDelays ?? ProviderRetries;
        await log.WriteLineAsync("starting a throwaway PostgreSQL...");
        await using var postgres = await PostgresServer.CreateAsync();
        if (!postgres.CanRestart)
        {
            throw new InvalidOperationException($"the chaos mode stops and starts PostgreSQL, so it needs the throwaway server; unset {PostgresServer.ExternalServerVariable}");
        }

        var database = await postgres.CreateDatabaseAsync("chaos");
        await log.WriteLineAsync($"starting {cli.Silos} silo processes...");
        await using var silos = await SiloProcesses.StartAsync(cli.Silos, database, Path.Combine(cli.Out, "silos"), cli.HostArgs, log, cancellationToken);
        var down = new ConcurrentDictionary<Uri, bool>();
        using var target = new HttpTarget(silos.Urls, cli.Timeout, 256, headers: cli.Headers, queryHeaders: cli.QueryHeaders, tallyRegistered: true)
        {
            Accepting = url => !down.ContainsKey(url),
        };

        var shape = cli.Shape with { RetryDelays = retries };
        var generator = new WorkloadGenerator(cli.Workload);
        var stats = new RunStats();
        var attempts = new ConcurrentQueue<Attempt>();
        long serverErrors = 0;

        // The load runs for --duration and, when faults ran late (a restart is slow on a busy machine), on until the
        // last fault has been carried out and has had the time the schedule meant to leave after it.
        var lastFault = schedule.Select(f => f.Second).DefaultIfEmpty(0).Max();
        var duration = shape.Duration ?? TimeSpan.FromSeconds(lastFault + 10);
        var tail = TimeSpan.FromSeconds(Math.Max(5, duration.TotalSeconds - lastFault));
        var scheduleDone = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = new LoadRunner(generator, target, stats, shape, log)
        {
            KeepSending = elapsed => elapsed < duration || !scheduleDone.Task.IsCompleted || elapsed < scheduleDone.Task.Result + tail,
            AttemptObserver = (delivery, result, sentAt) =>
            {
                attempts.Enqueue(new Attempt(delivery.Entity.Key, sentAt, result.Outcome == AttemptOutcome.Acknowledged));
                if (RunStats.StatusOf(result) is var status && status.Length == 3 && status[0] == '5' && status != "503")
                {
                    Interlocked.Increment(ref serverErrors);
                }
            },
        };

        await log.WriteLineAsync($"chaos: {shape.Describe()} on {cli.Silos} silos; retries after {string.Join(", ", retries.Select(r => r.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture) + " s"))}; faults {string.Join(", ", schedule)}");
        var faultReports = new List<FaultReport>();
        var faultErrors = new List<string>();
        var lost = new List<(Fault Fault, double At, IReadOnlySet<string> Grains)>();
        var sampler = new ProcessSampler();
        var faultTask = Task.Run(
            async () =>
            {
                try
                {
                    await ApplyScheduleAsync();
                }
                finally
                {
                    scheduleDone.TrySetResult(stats.Elapsed);
                }
            },
            cancellationToken);

        // Each fault at its second, or as soon as the one before it is done; never cut short by the load's end.
        async Task ApplyScheduleAsync()
        {
            foreach (var fault in schedule)
            {
                while (stats.Elapsed.TotalSeconds < fault.Second)
                {
                    await Task.Delay(50, cancellationToken);
                }

                var at = stats.Elapsed.TotalSeconds;
                try
                {
                    var detail = await ApplyAsync(fault, silos, postgres, down, lost, at, cancellationToken);
                    var took = stats.Elapsed.TotalSeconds - at;
                    stats.Mark(fault.ToString()[(fault.ToString().IndexOf(':', StringComparison.Ordinal) + 1)..]);
                    lock (faultReports)
                    {
                        faultReports.Add(new FaultReport(at, fault.ToString(), took, detail));
                    }

                    await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"\n  fault at {at:0.0} s: {fault} ({detail}; {took:0.0} s)"));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    faultErrors.Add($"{fault}: {ex.GetType().Name}: {ex.Message}");
                    await log.WriteLineAsync($"\n  fault {fault} FAILED: {ex.Message}");
                }
            }
        }

        var outcome = await runner.RunAsync(null, cancellationToken);
        try
        {
            await faultTask;
        }
        catch (OperationCanceledException)
        {
        }

        string? extension = null;
        if (outcome.SendPhase - duration > TimeSpan.FromSeconds(1))
        {
            extension = string.Create(CultureInfo.InvariantCulture, $"load extended: it ran {outcome.SendPhase.TotalSeconds:0} s instead of {duration.TotalSeconds:0} s because faults ran late (see each fault's time), so the last one still had {tail.TotalSeconds:0} s of load after it");
            await log.WriteLineAsync("chaos: " + extension);
        }

        // A fault still waiting when the load ended (an earlier one took long, e.g. a slow restart) did not happen.
        foreach (var missed in schedule.Skip(faultReports.Count + faultErrors.Count))
        {
            faultErrors.Add($"{missed}: not reached before the load ended (lengthen --duration or space the faults)");
        }

        var process = await sampler.StopAsync();
        await sampler.DisposeAsync();

        // Bring everything back before reading: PostgreSQL up, every silo running.
        if (!await CanConnectAsync(database))
        {
            await postgres.StartAsync();
            await log.WriteLineAsync("PostgreSQL started again for the verdict");
        }

        for (var i = 1; i <= silos.Count; i++)
        {
            if (await silos.EnsureAnsweringAsync(i, cancellationToken))
            {
                await log.WriteLineAsync($"silo {i} restarted for the verdict");
            }

            down.TryRemove(silos.Url(i), out _);
        }

        Verdict? verdict = null;
        if (cli.Verify)
        {
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"chaos: verifying {generator.Entities.Count:N0} entities..."));
            verdict = await Verifier.VerifyAsync(generator.Entities, target.ReadAsync, cli.VerifyParallelism, cli.Settle, cancellationToken);
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"chaos: verdict {(verdict.Passed ? "PASS" : "FAIL")} ({verdict.PassedEntities:N0}/{verdict.Checked:N0} entities, {verdict.DescribeEmissions()}, {verdict.Elapsed.TotalSeconds:0.0} s)"));
        }

        var name = $"chaos {cli.Silos} silos";
        var report = RunReport.From(name, "HTTP", shape.Describe(), $"PostgreSQL (throwaway, {cli.Silos} silo processes)", cli.Silos, stats, outcome.SendPhase, verdict, [.. faultReports.Select(f => string.Create(CultureInfo.InvariantCulture, $"t={f.Second:0.0}s: {f.Fault}: {f.Detail}"))]) with { Process = process };
        var windows = Windows(schedule, faultReports, lost, [.. attempts]);
        var summary = new ChaosSummary
        {
            Silos = cli.Silos,
            Schedule = string.Join(",", schedule),
            RetrySchedule = [.. retries.Select(r => r.ToString())],
            Faults = faultReports,
            Windows = windows,
            ServerErrors = Interlocked.Read(ref serverErrors),
            UnavailableWithoutRetryAfter = target.UnavailableWithoutRetryAfter,
            FaultErrors = faultErrors,
        };
        var notes = new List<string>
        {
            "silo processes: this tool run as 'silo' (the service's CallEventHost with the no-action tally follow-up registered), each with its own HTTP, silo and gateway port, clustered through one throwaway PostgreSQL database",
            "load balancing: the tool stops sending to a silo when it kills or stops it and sends to it again once it answers after its restart, as a load balancer's health check would",
            string.Create(CultureInfo.InvariantCulture, $"status totals: {string.Join(", ", report.StatusTotals.Select(kv => $"{kv.Key} {kv.Value:N0}"))}"),
            $"5xx other than 503: {summary.ServerErrors}; 503 without Retry-After: {summary.UnavailableWithoutRetryAfter}",
        };
        if (extension is not null)
        {
            notes.Add(extension);
        }

        notes.AddRange(windows.Select(Describe));
        return new LoadTestReport
        {
            Mode = cli.Mode,
            Date = DateTimeOffset.UtcNow,
            Machine = MachineInfo.Current(),
            CommandLine = "dotnet run -c Release --project tools/CallEvents.LoadTest -- " + cli.Raw,
            Workload = cli.DescribeWorkload(),
            Runs = [report],
            Medians = [],
            Notes = notes,
            Chaos = summary,
        };
    }

    /// <summary>One line per window, for the report and the log.</summary>
    public static string Describe(FailureWindow w) => string.Create(
        CultureInfo.InvariantCulture,
        $"{w.Fault} at {w.Second:0.0} s ({w.GrainsOnLostSilo} grains active on it): grains on the lost silo {w.OnLostSilo.Failures}/{w.OnLostSilo.Attempts} attempts failed, last {Seconds(w.OnLostSilo.LastFailureAfterSeconds)} after; grains on live silos {w.OnLiveSilos.Failures}/{w.OnLiveSilos.Attempts} failed, last {Seconds(w.OnLiveSilos.LastFailureAfterSeconds)} after");

    private static string Seconds(double? s) => s is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.0} s") : "none";

    private static async Task<string> ApplyAsync(Fault fault, SiloProcesses silos, PostgresServer postgres, ConcurrentDictionary<Uri, bool> down, List<(Fault, double, IReadOnlySet<string>)> lost, double at, CancellationToken cancellationToken)
    {
        switch (fault.Action)
        {
            case FaultAction.Kill or FaultAction.Term:
            {
                // Which grains die with it: asked of the silo itself just before.
                var grains = await silos.ActivationsAsync(fault.Silo, cancellationToken);
                var pid = silos.ProcessId(fault.Silo);
                down[silos.Url(fault.Silo)] = true;
                if (fault.Action == FaultAction.Kill)
                {
                    await silos.KillAsync(fault.Silo);
                }
                else
                {
                    await silos.TerminateAsync(fault.Silo);
                }

                lock (lost)
                {
                    lost.Add((fault, at, grains));
                }

                return $"{(fault.Action == FaultAction.Kill ? "SIGKILL" : "SIGTERM")} pid {pid}, {grains.Count} call/workflow grains were active on it";
            }

            case FaultAction.Restart:
                await silos.RestartAsync(fault.Silo, cancellationToken);
                down.TryRemove(silos.Url(fault.Silo), out _);
                return $"pid {silos.ProcessId(fault.Silo)} answering";
            case FaultAction.PgStop:
                await postgres.StopAsync();
                return "pg_ctl stop -m fast";
            default:
                await postgres.StartAsync();
                return "pg_ctl start";
        }
    }

    /// <summary>For each kill or stop: the attempts from the fault to the next fault, split by where their grain lived.</summary>
    internal static IReadOnlyList<FailureWindow> Windows(IReadOnlyList<Fault> schedule, IReadOnlyList<FaultReport> applied, IReadOnlyList<(Fault Fault, double At, IReadOnlySet<string> Grains)> lost, IReadOnlyList<Attempt> attempts)
    {
        var windows = new List<FailureWindow>();
        foreach (var (fault, at, grains) in lost.OrderBy(l => l.At))
        {
            var next = applied.Select(a => a.Second).Where(s => s > at + 0.001).DefaultIfEmpty(double.MaxValue).Min();
            var end = Math.Min(next, at + 60);
            var inWindow = attempts.Where(a => a.SentAt >= at && a.SentAt < end).ToList();
            var seconds = (int)Math.Ceiling(Math.Min(end, inWindow.Select(a => a.SentAt).DefaultIfEmpty(at).Max()) - at);
            WindowClass Class(Func<Attempt, bool> member)
            {
                var mine = inWindow.Where(member).ToList();
                var failed = mine.Where(a => !a.Ok).ToList();
                return new WindowClass(
                    mine.Count,
                    failed.Count,
                    failed.Count == 0 ? null : Math.Round(failed.Max(a => a.SentAt) - at, 2),
                    [.. Enumerable.Range(0, Math.Max(seconds, 1)).Select(s => (long)failed.Count(a => (int)(a.SentAt - at) == s))],
                    [.. Enumerable.Range(0, Math.Max(seconds, 1)).Select(s => (long)mine.Count(a => (int)(a.SentAt - at) == s))]);
            }

            windows.Add(new FailureWindow(fault.ToString(), Math.Round(at, 2), grains.Count, Math.Round(end - at, 2), Class(a => grains.Contains(a.Key)), Class(a => !grains.Contains(a.Key))));
        }

        return windows;
    }

    private static async Task<bool> CanConnectAsync(string connectionString)
    {
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            return true;
        }
        catch (Npgsql.NpgsqlException)
        {
            return false;
        }
    }
}
