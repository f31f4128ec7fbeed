using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.CommandLine.Parsing;
using CallEvents.LoadTest.Targets;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Running;

/// <summary>
/// The command line, defined once with System.CommandLine: the three modes, each option with its description,
/// default, range and the modes it applies to, and the rules between options. Help, validation and the
/// <see cref="CommandLine"/> record the modes consume all come from these definitions.
/// </summary>
internal sealed class Cli
{
    // The defaults shown in help are read from the records the modes consume, so they cannot drift apart.
    private static readonly WorkloadOptions Workload = new();
    private static readonly LoadShape Shape = new();
    private static readonly CommandLine Defaults = new() { Mode = "grain" };

    private const string Grain = "grain";
    private const string Http = "http";
    private const string Bench = "bench";
    private const string Chaos = "chaos";

    /// <summary>The chaos mode's defaults, when the options are not given.</summary>
    private const int ChaosSilos = 3;
    private const double ChaosRate = 60;
    private const double ChaosDuration = 90;
    private const int ChaosWindow = 100;

    private readonly Option<long> _calls = Number<long>("--calls", "N", "calls to create", Workload.Calls, 0);
    private readonly Option<long> _workflows = Number<long>("--workflows", "N", "workflow executions to create", Workload.Workflows, 0);
    private readonly Option<int> _nodes = Number<int>("--nodes", "N", "node executions per workflow", Workload.NodesPerWorkflow, 0);
    private readonly Option<double> _verbexShare = Number<double>("--verbex-share", "F", "share of calls that are Verbex", Workload.VerbexShare, 0, 1);
    private readonly Option<double> _failureRate = Number<double>("--failure-rate", "F", "share of SubVerse calls that fail (errored/canceled/expired)", Workload.FailureRate, 0, 1);
    private readonly Option<double> _duplicateRate = Number<double>("--duplicate-rate", "F", "probability that an event is redelivered with the same bytes", Workload.DuplicateRate, 0, 1);
    private readonly Option<double> _shuffle = Number<double>("--shuffle", "F", "share of entities delivered out of order", Workload.ShuffleShare, 0, 1);
    private readonly Option<int> _maxDelayMs = Number<int>("--max-delay-ms", "MS", "random provider delay before each delivery", Workload.MaxDelayMs, 0);
    private readonly Option<long> _events = Number<long>("--events", "N", "stop after N deliveries (0: no cap)", Workload.MaxDeliveries, 0);
    private readonly Option<int?> _window = OptionalNumber<int>("--window", "N", "entities in progress at once [default: max(2000, 8 x --concurrency)]", 1);
    private readonly Option<int> _seed = Number<int>("--seed", "N", "workload seed", Workload.Seed, 0);

    private readonly Option<int> _concurrency = Number<int>("--concurrency", "N", "closed loop with N workers", Shape.Concurrency, 1);
    private readonly Option<double?> _rate = OptionalNumber<double>("--rate", "R", "open loop: R deliveries/s on a fixed schedule; latency counts from the scheduled time", 0, aboveMinimum: true);
    private readonly Option<int> _maxInFlight = Number<int>("--max-in-flight", "N", "open loop: cap on outstanding deliveries", Shape.MaxInFlight, 1);
    private readonly Option<double?> _duration = OptionalNumber<double>("--duration", "S", "stop sending after S seconds (entities are then created without a count limit)", 0, aboveMinimum: true);
    private readonly Option<double?> _warmup = OptionalNumber<double>("--warmup", "S", "exclude deliveries completed in the first S seconds from the figures [default: 0; bench: 3]", 0);
    private readonly Option<int> _repeat = Number<int>("--repeat", "N", "run N times (fresh cluster/host each time) and report medians", Defaults.Repeat, 1);
    private readonly Option<double> _prewarm = Number<double>("--prewarm", "S", "first drive S seconds of unmeasured load on a throwaway cluster/host (bench: on each endpoint), so the JIT has tiered up", Defaults.Prewarm, 0);

    private readonly Option<double?> _killSiloAt = OptionalNumber<double>("--kill-silo-at", "S", "kill a non-primary silo at S seconds, then start a replacement", 0);
    private readonly Option<int> _retries = Number<int>("--retries", "N", "retries after the first attempt; 5xx/408/429/timeouts are retried", Shape.Retries, 0);
    private readonly Option<double> _retryBaseMs = Number<double>("--retry-base-ms", "MS", "first retry delay, doubled per retry with jitter", Shape.RetryBase.TotalMilliseconds, 0);
    private readonly Option<double?> _timeoutMs = OptionalNumber<double>("--timeout-ms", "MS", "per-attempt deadline [default: 4000 grain, 5000 http and bench]", 0, aboveMinimum: true);

    private readonly Option<int> _silos = Number<int>("--silos", "N", "silos in the in-process cluster", Defaults.Silos, 1);
    private readonly Option<string?> _postgres = new("--postgres")
    {
        Description = "PostgreSQL connection string for grain state and reminders, or 'auto' for a throwaway server (bench: the server to use) [default: memory; bench: auto]",
        HelpName = "CS|auto",
    };

    private readonly Option<Uri[]> _urls = new("--url")
    {
        Description = "base URL of a running host (repeatable, round-robin); none: start an in-process host",
        HelpName = "URL",
        CustomParser = ParseUrls,
    };

    private readonly Option<KeyValuePair<string, string>[]> _headers = Headers("--header", "extra header on every webhook POST (repeatable), e.g. credentials");
    private readonly Option<KeyValuePair<string, string>[]> _queryHeaders = Headers("--query-header", "extra header on snapshot GETs (repeatable), e.g. an operator key");

    private readonly Option<string[]> _hostArgs = new("--host-arg") { Description = "extra argument for the in-process host (repeatable)", HelpName = "ARG" };

    private readonly Option<string> _fsync = Choice("--fsync", "a throwaway PostgreSQL commits durably ('on': fsync, synchronous_commit, full_page_writes) or fast ('off', as the test fixture)", "off", "on");

    private readonly Option<int> _seconds = Number<int>("--seconds", "S", "measured seconds per subject (plus --warmup)", Defaults.BenchSeconds, 1);
    private readonly Option<bool> _noPgStats = new("--no-pg-stats") { Description = "do not enable pg_stat_statements on the throwaway server" };

    private readonly Option<string?> _out = new("--out") { Description = "report directory [default: artifacts/loadtest/<UTC timestamp>]", HelpName = "DIR" };
    private readonly Option<bool> _noVerify = new("--no-verify") { Description = "skip the correctness verdict" };
    private readonly Option<int> _verifyParallelism = Number<int>("--verify-parallelism", "N", "snapshot reads in parallel", Defaults.VerifyParallelism, 1);
    private readonly Option<double?> _settle = OptionalNumber<double>(
        "--settle",
        "S",
        "re-read entities whose only wrong fields are follow-up decisions (emission is asynchronous) until S seconds after verification starts [default: 15; 150 with --kill-silo-at, as an emission lost with the killed silo is republished at the next lifecycle tick, every minute by default]",
        0);

    private readonly Option<bool> _quiet = new("--quiet") { Description = "no progress line" };

    private readonly Option<string> _faults = new("--faults")
    {
        Description = "chaos: SECONDS:ACTION[:SILO],... with actions kill (SIGKILL), term (SIGTERM), restart, pg-stop, pg-start",
        HelpName = "SCHEDULE",
        DefaultValueFactory = _ => CallEvents.LoadTest.Chaos.FaultSchedule.Default,
    };

    private readonly Option<string> _retrySchedule = new("--retry-schedule")
    {
        Description = "chaos: seconds before each retry of a failed delivery (5xx, 408, 429, timeout, no connection), as SubVerse retries",
        HelpName = "S,S,...",
        DefaultValueFactory = _ => "1,5,25",
    };

    private readonly Option<double> _retryScale = Number<double>("--retry-scale", "F", "chaos: multiply the retry schedule by F (e.g. 0.2 for a short rehearsal)", 1, 0.001);

    private Cli()
    {
    }

    /// <summary>The root command; a mode's action builds the options and hands them to <paramref name="run"/>.</summary>
    public static RootCommand Create(Func<CommandLine, CancellationToken, Task<int>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new Cli().Build(run);
    }

    private RootCommand Build(Func<CommandLine, CancellationToken, Task<int>> run)
    {
        // Each option once, in the order help lists them, with the modes it means something in. An option a mode
        // would ignore is not offered there, so passing it is an error rather than a silent no-op.
        (Option Option, string[] Modes)[] options =
        [
            (_calls, [Grain, Http, Bench]), (_workflows, [Grain, Http, Bench]), (_nodes, [Grain, Http, Bench]),
            (_verbexShare, [Grain, Http, Bench]), (_failureRate, [Grain, Http, Bench]), (_duplicateRate, [Grain, Http, Bench]),
            (_shuffle, [Grain, Http, Bench]), (_maxDelayMs, [Grain, Http, Bench]), (_events, [Grain, Http, Bench]),
            (_window, [Grain, Http, Bench]), (_seed, [Grain, Http, Bench]),
            (_concurrency, [Grain, Http, Bench]), (_rate, [Grain, Http]), (_maxInFlight, [Grain, Http]), (_duration, [Grain, Http]),
            (_warmup, [Grain, Http, Bench]), (_repeat, [Grain, Http, Bench]), (_prewarm, [Grain, Http, Bench]),
            (_killSiloAt, [Grain]), (_retries, [Grain, Http, Bench]), (_retryBaseMs, [Grain, Http, Bench]), (_timeoutMs, [Grain, Http, Bench]),
            (_silos, [Grain]), (_postgres, [Grain, Http, Bench]), (_urls, [Http]), (_headers, [Http]), (_queryHeaders, [Http]),
            (_hostArgs, [Http, Bench]), (_fsync, [Grain, Http, Bench]),
            (_seconds, [Bench]), (_noPgStats, [Grain, Http, Bench]),
            (_out, [Grain, Http, Bench]), (_noVerify, [Grain, Http, Bench]), (_verifyParallelism, [Grain, Http, Bench]),
            (_settle, [Grain, Http, Bench]), (_quiet, [Grain, Http, Bench]),
            (_faults, [Chaos]), (_retrySchedule, [Chaos]), (_retryScale, [Chaos]),
        ];

        // The chaos mode takes the workload, an open or closed loop, the silos and the output options.
        foreach (var i in Enumerable.Range(0, options.Length))
        {
            var (option, offeredIn) = options[i];
            if (option == _calls || option == _workflows || option == _nodes || option == _verbexShare || option == _failureRate
                || option == _duplicateRate || option == _shuffle || option == _maxDelayMs || option == _window || option == _seed
                || option == _concurrency || option == _rate || option == _maxInFlight || option == _duration || option == _silos
                || option == _timeoutMs || option == _headers || option == _queryHeaders || option == _hostArgs || option == _out
                || option == _noVerify || option == _verifyParallelism || option == _settle || option == _quiet)
            {
                options[i] = (option, [.. offeredIn, Chaos]);
            }
        }

        var grain = new Command(Grain, "N real silos in this process (composed by CallEvents.Hosting); deliveries via IngestAsync of the silos' IGrainFactory");
        var http = new Command(Http, "POST /webhooks/{source} of --url (repeatable, round-robin), or of an in-process host");
        var bench = new Command(Bench, "(a) our HTTP ingress on PostgreSQL, (b) a hand-written baseline endpoint, (c) pgbench");
        var chaos = new Command(Chaos, $"a throwaway PostgreSQL and --silos silo processes started here; HTTP load (open loop, {ChaosRate:0}/s by default, for {ChaosDuration:0} s) with a provider's retries while --faults kills, stops and restarts silos and stops and starts PostgreSQL; then every entity is read back; no 5xx but 503 allowed");
        Command[] modes = [grain, http, bench, chaos];
        foreach (var mode in modes)
        {
            foreach (var (option, _) in options.Where(o => o.Modes.Contains(mode.Name)))
            {
                mode.Options.Add(option);
            }

            mode.SetAction((result, cancellationToken) => run(ToOptions(result), cancellationToken));
        }

        foreach (var mode in new[] { grain, http, chaos })
        {
            Exclusive(mode, _rate, _concurrency, "--rate runs an open loop and --concurrency a closed one");
        }

        Exclusive(http, _urls, _postgres, "--postgres is for the in-process host; a --url host uses its own storage");
        Exclusive(http, _urls, _hostArgs, "--host-arg is for the in-process host, not for a --url host");
        grain.Validators.Add(result =>
        {
            if (result.GetValue(_killSiloAt) is not null && result.GetValue(_silos) < 2)
            {
                result.AddError("--kill-silo-at needs --silos 2 or more (the primary silo is never killed)");
            }
        });

        chaos.Validators.Add(result =>
        {
            var silos = result.GetResult(_silos) is { Implicit: false } ? result.GetValue(_silos) : ChaosSilos;
            CallEvents.LoadTest.Chaos.FaultSchedule.Parse(result.GetValue(_faults) ?? string.Empty, silos, out var error);
            if (error is not null)
            {
                result.AddError(error);
            }

            if (RetrySchedule(result.GetValue(_retrySchedule), 1) is null)
            {
                result.AddError($"--retry-schedule expects non-negative seconds separated by commas, not '{result.GetValue(_retrySchedule)}'");
            }
        });

        return new RootCommand("Load generator, correctness verifier and benchmark for the call-event processor (tools/CallEvents.LoadTest/README.md). Exit code 0: every verdict passed; 1: bad arguments or a run that could not complete; 2: a verdict failed.")
        {
            grain,
            http,
            bench,
            chaos,
            CallEvents.LoadTest.Bench.SearchBench.Create(),
        };
    }

    private CommandLine ToOptions(ParseResult result)
    {
        var mode = result.CommandResult.Command.Name;
        var chaos = mode == Chaos;
        var closedLoopAsked = result.GetResult(_concurrency) is { Implicit: false };
        var shape = new LoadShape
        {
            Concurrency = result.GetValue(_concurrency),
            Rate = result.GetValue(_rate) ?? (chaos && !closedLoopAsked ? ChaosRate : null),
            MaxInFlight = result.GetValue(_maxInFlight),
            Duration = result.GetValue(_duration) is { } duration ? TimeSpan.FromSeconds(duration) : chaos ? TimeSpan.FromSeconds(ChaosDuration) : null,
            RetryDelays = chaos ? RetrySchedule(result.GetValue(_retrySchedule), result.GetValue(_retryScale)) : null,
            WarmupSeconds = result.GetValue(_warmup) ?? (mode == Bench ? 3 : 0),
            KillSiloAt = result.GetValue(_killSiloAt),
            Retries = result.GetValue(_retries),
            RetryBase = TimeSpan.FromMilliseconds(result.GetValue(_retryBaseMs)),
            Progress = !result.GetValue(_quiet),
        };
        var workload = new WorkloadOptions
        {
            Calls = result.GetValue(_calls),
            Workflows = result.GetValue(_workflows),
            NodesPerWorkflow = result.GetValue(_nodes),
            VerbexShare = result.GetValue(_verbexShare),
            FailureRate = result.GetValue(_failureRate),
            DuplicateRate = result.GetValue(_duplicateRate),
            ShuffleShare = result.GetValue(_shuffle),
            MaxDelayMs = result.GetValue(_maxDelayMs),
            MaxDeliveries = result.GetValue(_events),
            Window = result.GetValue(_window) ?? (chaos ? ChaosWindow : Math.Max(2000, 8 * shape.Concurrency)),
            Seed = result.GetValue(_seed),

            // A duration-limited run creates entities until time is up; the counts only set the mix.
            Unbounded = shape.Duration is not null,
        };

        return new CommandLine
        {
            Mode = mode,
            Workload = workload,
            Shape = shape,
            Silos = chaos && result.GetResult(_silos) is not { Implicit: false } ? ChaosSilos : result.GetValue(_silos),
            Postgres = result.GetValue(_postgres),
            Urls = result.GetValue(_urls) ?? [],
            Headers = result.GetValue(_headers) ?? [],
            QueryHeaders = result.GetValue(_queryHeaders) ?? [],
            HostArgs = result.GetValue(_hostArgs) ?? [],
            Timeout = result.GetValue(_timeoutMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(mode == Grain ? 4 : 5),
            Repeat = result.GetValue(_repeat),
            BenchSeconds = result.GetValue(_seconds),
            Prewarm = result.GetValue(_prewarm),
            Fsync = result.GetValue(_fsync) == "on",
            PgStats = !result.GetValue(_noPgStats),
            Out = result.GetValue(_out) ?? new CommandLine { Mode = mode }.Out,
            Verify = !result.GetValue(_noVerify),
            VerifyParallelism = result.GetValue(_verifyParallelism),
            Settle = result.GetValue(_settle) is { } settle ? TimeSpan.FromSeconds(settle)
                : shape.KillSiloAt is null && !chaos ? Verifier.DefaultSettle : CommandLine.KillSettle,
            Faults = chaos ? CallEvents.LoadTest.Chaos.FaultSchedule.Parse(result.GetValue(_faults) ?? string.Empty, chaos && result.GetResult(_silos) is not { Implicit: false } ? ChaosSilos : result.GetValue(_silos), out _) : [],
            Raw = string.Join(' ', result.Tokens.Select(t => t.Value)),
        };
    }

    /// <summary>The retry pauses of <c>--retry-schedule</c> times <paramref name="scale"/>; null when the text is not a list of seconds.</summary>
    private static IReadOnlyList<TimeSpan>? RetrySchedule(string? text, double scale)
    {
        var delays = new List<TimeSpan>();
        foreach (var item in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            {
                return null;
            }

            delays.Add(TimeSpan.FromSeconds(seconds * scale));
        }

        return delays;
    }

    /// <summary>A number with a fixed default and a lower (and optional upper) bound.</summary>
    private static Option<T> Number<T>(string name, string helpName, string description, T defaultValue, T minimum, T? maximum = null)
        where T : struct, INumber<T> => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseNumber(result, minimum, maximum, aboveMinimum: false) ?? defaultValue,
    };

    /// <summary>A number without a fixed default: <see cref="ToOptions"/> derives one (from the mode or other options) when it is absent.</summary>
    private static Option<T?> OptionalNumber<T>(string name, string helpName, string description, T minimum, bool aboveMinimum = false)
        where T : struct, INumber<T> => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result => ParseNumber<T>(result, minimum, null, aboveMinimum),
    };

    /// <summary>Parses the option's value (invariant culture) and checks its range; an error names the option and what it expects.</summary>
    private static T? ParseNumber<T>(ArgumentResult result, T minimum, T? maximum, bool aboveMinimum)
        where T : struct, INumber<T>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && (aboveMinimum ? value > minimum : value >= minimum)
            && (maximum is not { } upper || value <= upper))
        {
            return value;
        }

        var kind = typeof(T) == typeof(double) ? "number" : "integer";
        var expected = (aboveMinimum, maximum) switch
        {
            (true, _) => string.Create(CultureInfo.InvariantCulture, $"a {kind} above {minimum}"),
            (_, { } max) => string.Create(CultureInfo.InvariantCulture, $"a {kind} from {minimum} to {max}"),
            _ when minimum == T.Zero => $"a non-negative {kind}",
            _ => string.Create(CultureInfo.InvariantCulture, $"{minimum} or more"),
        };
        result.AddError($"{OptionName(result)} expects {expected}, not '{text}'");
        return null;
    }

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : "an option";

    private static void Exclusive(Command command, Option first, Option second, string why) => command.Validators.Add(result =>
    {
        if (Given(result, first) && Given(result, second))
        {
            result.AddError($"{first.Name} and {second.Name} cannot be used together: {why}");
        }
    });

    private static bool Given(CommandResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static Uri[] ParseUrls(ArgumentResult result)
    {
        var urls = new List<Uri>();
        foreach (var token in result.Tokens)
        {
            if (Uri.TryCreate(token.Value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            {
                urls.Add(url);
            }
            else
            {
                result.AddError($"--url expects an absolute http(s) URL, not '{token.Value}'");
            }
        }

        return [.. urls];
    }

    /// <summary>One of <paramref name="choices"/>, the first being the default.</summary>
    private static Option<string> Choice(string name, string description, params string[] choices) =>
        new Option<string>(name) { Description = description, DefaultValueFactory = _ => choices[0] }.AcceptOnlyFromAmong(choices);

    private static Option<KeyValuePair<string, string>[]> Headers(string name, string description) =>
        new(name) { Description = description, HelpName = "'Name: value'", CustomParser = ParseHeaders };

    private static KeyValuePair<string, string>[] ParseHeaders(ArgumentResult result)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var token in result.Tokens)
        {
            var colon = token.Value.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(new(token.Value[..colon].Trim(), token.Value[(colon + 1)..].Trim()));
            }
            else
            {
                result.AddError($"{OptionName(result)} expects 'Name: value', not '{token.Value}'");
            }
        }

        return [.. headers];
    }
}
