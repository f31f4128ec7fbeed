using System.Globalization;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Running;

/// <summary>The tool's options, parsed from <c>&lt;mode&gt; [--option value]...</c>.</summary>
public sealed record CommandLine
{
    public const string Usage = """
        usage: dotnet run -c Release --project tools/CallEvents.LoadTest -- <grain|http|bench> [options]

        modes
          grain                 N-silo in-process TestingHost cluster; deliveries via IngestAsync of the silos' IGrainFactory
          http                  POST /webhooks/{source} of --url (repeatable, round-robin), or of an in-process host
          bench                 (a) our HTTP ingress on PostgreSQL, (b) a hand-written baseline endpoint, (c) pgbench

        workload
          --calls N             calls to create (default 20000)
          --workflows N         workflow executions (default 2000)
          --nodes K             node executions per workflow (default 3)
          --verbex-share F      share of calls that are Verbex (default 0.5)
          --failure-rate F      share of SubVerse calls that fail (errored/canceled/expired) (default 0.1)
          --duplicate-rate F    probability that an event is redelivered with the same bytes (default 0.1)
          --shuffle F           share of entities delivered out of order (default 1.0)
          --max-delay-ms N      random provider delay before each delivery (default 0)
          --events N            stop after N deliveries
          --window N            entities in progress at once (default max(2000, 8 x concurrency))
          --seed N              workload seed (default 42)

        load shape
          --concurrency N       closed loop with N workers (default 64)
          --rate R              open loop: R deliveries/s on a fixed schedule; latency from the scheduled time
          --max-in-flight N     open loop: cap on outstanding deliveries (default 20000)
          --duration S          stop sending after S seconds (entities are then created without a count limit)
          --warmup S            exclude deliveries completed in the first S seconds from the figures (default 0)
          --repeat N            run N times (fresh cluster/host each time) and report medians (default 1)
          --prewarm S           first drive S seconds of unmeasured load on a throwaway cluster/host (bench: on each
                                endpoint), so the JIT has tiered up

        faults and retries
          --kill-silo-at S      grain mode: kill a non-primary silo at S seconds, then start a replacement
          --retries N           retries after the first attempt (default 6); 5xx/408/429/timeouts are retried
          --retry-base-ms N     first retry delay, doubled per retry with jitter (default 100)
          --timeout-ms N        per-attempt deadline (default 4000 grain, 5000 http)

        targets
          --silos N             grain mode: silos (default 2)
          --postgres CS|auto    PostgreSQL for grain state and reminders (auto: throwaway server); bench: the server to use
          --url URL             http mode: base URL of a running host (repeatable); none: start an in-process host
          --header 'N: V'       http mode: extra header on every webhook POST (repeatable), e.g. credentials
          --query-header 'N: V' http mode: extra header on snapshot GETs (repeatable), e.g. an operator key
          --host-arg ARG        extra argument for an in-process host (repeatable)

        profiling (grain mode, memory storage; experiments, not the service's figures)
          --storage null        grain storage that stores nothing (cost of the grains without the storage provider)
          --reminders local     a dictionary reminder table instead of Orleans' single-grain in-memory table

        bench
          --seconds S           measured seconds per subject (default 20; plus --warmup, default 3 in bench)
          --no-pg-stats         do not enable pg_stat_statements on the throwaway server

        output
          --out DIR             report directory (default artifacts/loadtest/<timestamp>)
          --no-verify           skip the correctness verdict
          --verify-parallelism N snapshot reads in parallel (default 64)
          --settle S            re-read entities whose only wrong fields are follow-up decisions (emission is
                                asynchronous) until S seconds after verification starts (default 15; 150 with
                                --kill-silo-at, as an emission lost with the killed silo is republished at the next
                                lifecycle tick, every minute by default)
          --quiet               no progress line
        """;

    /// <summary>The default <c>--settle</c> with <c>--kill-silo-at</c>: past the next lifecycle tick (1 minute) with room to spare.</summary>
    private static readonly TimeSpan KillSettle = TimeSpan.FromSeconds(150);

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

    /// <summary>Grain-mode profiling experiments (<c>--storage null</c>, <c>--reminders local</c>).</summary>
    public Targets.ProfilingSwitches Profiling { get; init; } = new();

    public bool PgStats { get; init; } = true;

    public string Out { get; init; } = Path.Combine("artifacts", "loadtest", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    public bool Verify { get; init; } = true;

    public int VerifyParallelism { get; init; } = 64;

    /// <summary>How long from the start of verification decision-only differences are read again (<c>--settle</c>).</summary>
    public TimeSpan Settle { get; init; } = Verifier.DefaultSettle;

    public string Raw { get; init; } = string.Empty;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a message for the user.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            throw new ArgumentException(Usage);
        }

        var mode = args[0].ToLowerInvariant();
        if (mode is not ("grain" or "http" or "bench"))
        {
            throw new ArgumentException($"unknown mode '{args[0]}'\n\n{Usage}");
        }

        var values = new List<(string Name, string? Value)>();
        string[] flags = ["--no-verify", "--quiet", "--no-pg-stats"];
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                values.Add((arg[..eq], arg[(eq + 1)..]));
            }
            else if (flags.Contains(arg))
            {
                values.Add((arg, null));
            }
            else if (i + 1 < args.Count)
            {
                values.Add((arg, args[++i]));
            }
            else
            {
                throw new ArgumentException($"option {arg} needs a value");
            }
        }

        var workload = new WorkloadOptions();
        var shape = new LoadShape();
        var result = new CommandLine { Mode = mode, Raw = string.Join(' ', args), Timeout = mode == "grain" ? TimeSpan.FromSeconds(4) : TimeSpan.FromSeconds(5) };
        var urls = new List<Uri>();
        var headers = new List<KeyValuePair<string, string>>();
        var queryHeaders = new List<KeyValuePair<string, string>>();
        var hostArgs = new List<string>();
        int? window = null;
        double? warmup = null;
        double? settle = null;
        foreach (var (name, value) in values)
        {
            switch (name)
            {
                case "--calls": workload = workload with { Calls = Long(name, value) }; break;
                case "--workflows": workload = workload with { Workflows = Long(name, value) }; break;
                case "--nodes": workload = workload with { NodesPerWorkflow = Int(name, value) }; break;
                case "--verbex-share": workload = workload with { VerbexShare = Fraction(name, value) }; break;
                case "--failure-rate": workload = workload with { FailureRate = Fraction(name, value) }; break;
                case "--duplicate-rate": workload = workload with { DuplicateRate = Fraction(name, value) }; break;
                case "--shuffle": workload = workload with { ShuffleShare = Fraction(name, value) }; break;
                case "--max-delay-ms": workload = workload with { MaxDelayMs = Int(name, value) }; break;
                case "--events": workload = workload with { MaxDeliveries = Long(name, value) }; break;
                case "--window": window = Int(name, value); break;
                case "--seed": workload = workload with { Seed = Int(name, value) }; break;
                case "--concurrency": shape = shape with { Concurrency = Int(name, value) }; break;
                case "--rate": shape = shape with { Rate = Double(name, value) }; break;
                case "--max-in-flight": shape = shape with { MaxInFlight = Int(name, value) }; break;
                case "--duration": shape = shape with { Duration = TimeSpan.FromSeconds(Double(name, value)) }; break;
                case "--warmup": warmup = Double(name, value); break;
                case "--prewarm": result = result with { Prewarm = Double(name, value) }; break;
                case "--repeat": result = result with { Repeat = Int(name, value) }; break;
                case "--kill-silo-at": shape = shape with { KillSiloAt = Double(name, value) }; break;
                case "--retries": shape = shape with { Retries = Int(name, value) }; break;
                case "--retry-base-ms": shape = shape with { RetryBase = TimeSpan.FromMilliseconds(Double(name, value)) }; break;
                case "--timeout-ms": result = result with { Timeout = TimeSpan.FromMilliseconds(Double(name, value)) }; break;
                case "--silos": result = result with { Silos = Int(name, value) }; break;
                case "--postgres": result = result with { Postgres = value }; break;
                case "--url": urls.Add(new Uri(value!, UriKind.Absolute)); break;
                case "--header": headers.Add(Header(name, value)); break;
                case "--query-header": queryHeaders.Add(Header(name, value)); break;
                case "--host-arg": hostArgs.Add(value!); break;
                case "--storage": result = result with { Profiling = result.Profiling with { NullStorage = Choice(name, value, "memory", "null") == "null" } }; break;
                case "--reminders": result = result with { Profiling = result.Profiling with { LocalReminders = Choice(name, value, "grain", "local") == "local" } }; break;
                case "--seconds": result = result with { BenchSeconds = Int(name, value) }; break;
                case "--no-pg-stats": result = result with { PgStats = false }; break;
                case "--out": result = result with { Out = value! }; break;
                case "--no-verify": result = result with { Verify = false }; break;
                case "--verify-parallelism": result = result with { VerifyParallelism = Int(name, value) }; break;
                case "--settle": settle = Double(name, value); break;
                case "--quiet": shape = shape with { Progress = false }; break;
                default: throw new ArgumentException($"unknown option {name}\n\n{Usage}");
            }
        }

        if (shape.Duration is not null)
        {
            // A duration-limited run creates entities until time is up; the counts only set the mix.
            workload = workload with { Unbounded = true };
        }

        if (result.Silos < 1 || shape.Concurrency < 1 || result.Repeat < 1)
        {
            throw new ArgumentException("--silos, --concurrency and --repeat must be at least 1");
        }

        if (shape.KillSiloAt is not null && mode == "grain" && result.Silos < 2)
        {
            throw new ArgumentException("--kill-silo-at needs --silos 2 or more (the primary silo is never killed)");
        }

        workload = workload with { Window = window ?? Math.Max(2000, 8 * shape.Concurrency) };
        shape = shape with { WarmupSeconds = warmup ?? (mode == "bench" ? 3 : 0) };
        return result with
        {
            Workload = workload,
            Shape = shape,
            Urls = urls,
            Headers = headers,
            QueryHeaders = queryHeaders,
            HostArgs = hostArgs,
            Settle = settle is { } seconds ? TimeSpan.FromSeconds(seconds) : shape.KillSiloAt is null ? Verifier.DefaultSettle : KillSettle,
        };
    }

    public string DescribeWorkload() => string.Create(
        CultureInfo.InvariantCulture,
        $"{(Workload.Unbounded ? "unbounded (duration-limited)" : $"{Workload.Calls:N0} calls + {Workload.Workflows:N0} workflows")}, {Workload.VerbexShare:P0} Verbex, SubVerse failure rate {Workload.FailureRate:P0}, {Workload.NodesPerWorkflow} nodes/workflow, duplicate rate {Workload.DuplicateRate:P0}, shuffled {Workload.ShuffleShare:P0}, max delay {Workload.MaxDelayMs} ms, window {Workload.Window:N0}, seed {Workload.Seed}");

    private static string Choice(string name, string? value, params string[] choices) =>
        choices.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase)) ?? throw new ArgumentException($"{name} expects one of {string.Join(", ", choices)}, not '{value}'");

    private static KeyValuePair<string, string> Header(string name, string? value)
    {
        var colon = value?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon <= 0)
        {
            throw new ArgumentException($"{name} expects 'Name: value'");
        }

        return new(value![..colon].Trim(), value[(colon + 1)..].Trim());
    }

    private static int Int(string name, string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} expects a non-negative integer, not '{value}'");

    private static long Long(string name, string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} expects a non-negative integer, not '{value}'");

    private static double Double(string name, string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} expects a non-negative number, not '{value}'");

    private static double Fraction(string name, string? value)
    {
        var f = Double(name, value);
        return f <= 1 ? f : throw new ArgumentException($"{name} expects a number between 0 and 1, not '{value}'");
    }
}
