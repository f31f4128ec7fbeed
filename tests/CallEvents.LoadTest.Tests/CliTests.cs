using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using CallEvents.LoadTest.Running;

namespace CallEvents.LoadTest.Tests;

/// <summary>The command line: documented commands parse, defaults and derived defaults, errors exit 1, help.</summary>
public sealed partial class CliTests
{
    private const string Launcher = "dotnet run -c Release --project tools/CallEvents.LoadTest -- ";

    [Fact]
    public void Every_command_quoted_in_the_docs_parses()
    {
        var repository = RepositoryRoot();
        var commands = new List<string>();
        foreach (var doc in new[] { "README.md", "docs/performance.md", "tools/CallEvents.LoadTest/README.md" })
        {
            var text = File.ReadAllText(Path.Combine(repository, doc));

            // Whole command lines in code blocks, and `grain ...`-style arguments quoted inline (the figures table),
            // except shorthand such as `http --url ×3` that points at a command given in full above it.
            commands.AddRange(LauncherLine().Matches(text).Select(m => m.Groups["args"].Value));
            commands.AddRange(InlineArguments().Matches(text).Select(m => m.Groups["args"].Value).Where(a => !a.Contains('×', StringComparison.Ordinal)));
        }

        Assert.True(commands.Count >= 15, $"only {commands.Count} commands found in the docs");
        var root = Cli.Create((_, _) => Task.FromResult(0));
        Assert.All(commands, command =>
        {
            var errors = root.Parse(Tokenize(command)).Errors;
            Assert.True(errors.Count == 0, $"`{command}` did not parse: {string.Join("; ", errors.Select(e => e.Message))}");
        });
    }

    [Fact]
    public void Defaults_match_the_records_and_depend_on_the_mode_where_documented()
    {
        var grain = Parse("grain");
        Assert.Equal(20_000, grain.Workload.Calls);
        Assert.Equal(2_000, grain.Workload.Workflows);
        Assert.Equal(2_000, grain.Workload.Window);
        Assert.Equal(64, grain.Shape.Concurrency);
        Assert.Equal(2, grain.Silos);
        Assert.Equal(TimeSpan.FromSeconds(4), grain.Timeout);
        Assert.Equal(0, grain.Shape.WarmupSeconds);
        Assert.Equal(TimeSpan.FromSeconds(15), grain.Settle);
        Assert.False(grain.Workload.Unbounded);
        Assert.True(grain.Verify);
        Assert.True(grain.Shape.Progress);
        Assert.StartsWith(Path.Combine("artifacts", "loadtest"), grain.Out, StringComparison.Ordinal);

        var bench = Parse("bench");
        Assert.Equal(TimeSpan.FromSeconds(5), bench.Timeout);
        Assert.Equal(3, bench.Shape.WarmupSeconds);
        Assert.Equal(20, bench.BenchSeconds);
    }

    [Fact]
    public void Options_reach_the_options_record()
    {
        var grain = Parse("grain --silos 3 --concurrency 500 --duration 20 --kill-silo-at 5 --duplicate-rate 0.3 --quiet --no-verify --fsync on --out /tmp/x --retry-base-ms=50");
        Assert.Equal(3, grain.Silos);
        Assert.Equal(4_000, grain.Workload.Window);
        Assert.True(grain.Workload.Unbounded);
        Assert.Equal(TimeSpan.FromSeconds(20), grain.Shape.Duration);
        Assert.Equal(5, grain.Shape.KillSiloAt);
        Assert.Equal(TimeSpan.FromSeconds(150), grain.Settle);
        Assert.Equal(0.3, grain.Workload.DuplicateRate);
        Assert.False(grain.Shape.Progress);
        Assert.False(grain.Verify);
        Assert.True(grain.Fsync);
        Assert.Equal("/tmp/x", grain.Out);
        Assert.Equal(TimeSpan.FromMilliseconds(50), grain.Shape.RetryBase);
        Assert.Contains("--kill-silo-at 5", grain.Raw, StringComparison.Ordinal);

        var http = Parse("http --url http://127.0.0.1:5081 --url http://127.0.0.1:5082 --header 'X-API-Key: k 1' --query-header 'Authorization: Bearer t' --rate 200 --timeout-ms 900");
        Assert.Equal([new Uri("http://127.0.0.1:5081"), new Uri("http://127.0.0.1:5082")], http.Urls);
        Assert.Equal([new KeyValuePair<string, string>("X-API-Key", "k 1")], http.Headers);
        Assert.Equal([new KeyValuePair<string, string>("Authorization", "Bearer t")], http.QueryHeaders);
        Assert.Equal(200, http.Shape.Rate);
        Assert.Equal(TimeSpan.FromMilliseconds(900), http.Timeout);

        var bench = Parse("bench --seconds 15 --repeat 3 --prewarm 10 --host-arg --Foo=1 --no-pg-stats");
        Assert.Equal((15, 3, 10.0), (bench.BenchSeconds, bench.Repeat, bench.Prewarm));
        Assert.Equal(["--Foo=1"], bench.HostArgs);
        Assert.False(bench.PgStats);
    }

    [Theory]
    [InlineData("", "Required command was not provided")]
    [InlineData("load", "Unrecognized command or argument 'load'")]
    [InlineData("grain --calls -3", "--calls expects a non-negative integer, not '-3'")]
    [InlineData("grain --calls lots", "--calls expects a non-negative integer, not 'lots'")]
    [InlineData("grain --duplicate-rate 1.5", "--duplicate-rate expects a number from 0 to 1, not '1.5'")]
    [InlineData("grain --concurrency 0", "--concurrency expects 1 or more, not '0'")]
    [InlineData("grain --rate 0", "--rate expects a number above 0, not '0'")]
    [InlineData("grain --calls", "Required argument missing for option: '--calls'")]
    [InlineData("grain --kill-silo-at 5 --silos 1", "--kill-silo-at needs --silos 2 or more")]
    [InlineData("grain --rate 100 --concurrency 8", "--rate and --concurrency cannot be used together")]
    [InlineData("grain --fsync maybe", "--fsync")]
    [InlineData("grain --fsync maybe-not", "Argument 'maybe-not' not recognized")]
    [InlineData("grain --url http://127.0.0.1:5080", "Unrecognized command or argument '--url'")]
    [InlineData("http --kill-silo-at 5", "Unrecognized command or argument '--kill-silo-at'")]
    [InlineData("http --url 127.0.0.1:5080", "--url expects an absolute http(s) URL, not '127.0.0.1:5080'")]
    [InlineData("http --url http://127.0.0.1:5080 --postgres auto", "--url and --postgres cannot be used together")]
    [InlineData("http --url http://127.0.0.1:5080 --host-arg --x=1", "--url and --host-arg cannot be used together")]
    [InlineData("http --header X-API-Key", "--header expects 'Name: value', not 'X-API-Key'")]
    [InlineData("bench --seconds 0", "--seconds expects 1 or more, not '0'")]
    [InlineData("bench --duration 10", "Unrecognized command or argument '--duration'")]
    public void Bad_arguments_exit_1_with_a_message_and_run_nothing(string command, string message)
    {
        var (code, options, output) = Run(Tokenize(command));

        Assert.Equal(1, code);
        Assert.Null(options);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_the_modes_and_each_modes_options_with_defaults()
    {
        var (rootCode, _, root) = Run(["--help"]);
        Assert.Equal(0, rootCode);
        Assert.Contains("grain", root, StringComparison.Ordinal);
        Assert.Contains("bench", root, StringComparison.Ordinal);

        var (code, options, grain) = Run(["grain", "--help"]);
        Assert.Equal(0, code);
        Assert.Null(options);
        Assert.Contains("--kill-silo-at <S>", grain, StringComparison.Ordinal);
        Assert.Contains("calls to create [default: 20000]", grain, StringComparison.Ordinal);
        Assert.DoesNotContain("--url", grain, StringComparison.Ordinal);
    }

    private static CommandLine Parse(string command)
    {
        var (code, options, output) = Run(Tokenize(command));
        Assert.True(code == 0 && options is not null, output);
        return options!;
    }

    /// <summary>Parses and invokes like Program does, with a run that only captures the options.</summary>
    private static (int Code, CommandLine? Options, string Output) Run(string[] args)
    {
        CommandLine? captured = null;
        var root = Cli.Create((options, _) =>
        {
            captured = options;
            return Task.FromResult(0);
        });
        var output = new StringWriter();
        var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = output });
        return (code, captured, output.ToString());
    }

    /// <summary>Splits a documented command as a POSIX shell would for these lines: whitespace, single quotes, comments.</summary>
    private static string[] Tokenize(string command)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var inToken = false;
        foreach (var c in command)
        {
            if (c == '\'')
            {
                quoted = !quoted;
                inToken = true;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
            }
            else if (!quoted && c == '#' && !inToken)
            {
                break;
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }

        if (inToken)
        {
            tokens.Add(current.ToString());
        }

        return [.. tokens];
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrleansHost.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("OrleansHost.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"dotnet run -c Release --project tools/CallEvents\.LoadTest -- (?<args>[^`\n]+)")]
    private static partial Regex LauncherLine();

    [GeneratedRegex(@"`(?<args>(?:grain|http|bench) --[^`]+)`")]
    private static partial Regex InlineArguments();
}
