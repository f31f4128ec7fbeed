using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CallEvents.LoadTest.Running;
using CallEvents.LoadTest.Targets;
using CallEvents.LoadTest.Workload;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.LoadTest.Bench;

/// <summary>
/// The <c>search</c> command: stores a large workload (100,000 calls by default) on PostgreSQL through the real grain
/// write path, so every call's index row is what production writes, then times the operator lists over HTTP
/// (<c>GET /calls</c>, <c>GET /workflows</c>: first page, filtered pages, a time window, a deep keyset page), one
/// request at a time, and walks every page once to check none is skipped or repeated. Medians against the 50 ms goal
/// go to <c>search-report.json</c> and <c>search-report.md</c>.
/// </summary>
internal static class SearchBench
{
    /// <summary>The goal for a list page's median answer time, in milliseconds.</summary>
    public const double GoalMs = 50;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The command and its options.</summary>
    public static Command Create()
    {
        var calls = new Option<long>("--calls") { Description = "calls to store before measuring", HelpName = "N", DefaultValueFactory = _ => 100_000 };
        var workflows = new Option<long>("--workflows") { Description = "workflow executions to store (3 node events each)", HelpName = "N", DefaultValueFactory = _ => 10_000 };
        var samples = new Option<int>("--samples") { Description = "timed requests per query (after 10 unmeasured ones)", HelpName = "N", DefaultValueFactory = _ => 101 };
        var concurrency = new Option<int>("--concurrency") { Description = "closed-loop workers while storing", HelpName = "N", DefaultValueFactory = _ => 256 };
        var postgres = new Option<string>("--postgres") { Description = "PostgreSQL connection string, or 'auto' for a throwaway server", HelpName = "CS|auto", DefaultValueFactory = _ => "auto" };
        var seed = new Option<int>("--seed") { Description = "workload seed", HelpName = "N", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "report directory [default: artifacts/loadtest/search-<UTC timestamp>]", HelpName = "DIR" };
        var quiet = new Option<bool>("--quiet") { Description = "no progress line while storing" };
        var command = new Command("search", "store --calls calls on PostgreSQL through the grain write path, then time the operator lists (GET /calls, GET /workflows) and walk every page")
        {
            calls, workflows, samples, concurrency, postgres, seed, output, quiet,
        };
        foreach (var (option, minimum) in new[] { (calls, 1L), (workflows, 0L) })
        {
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<long>() < minimum)
                {
                    result.AddError($"{option.Name} expects {minimum} or more");
                }
            });
        }

        foreach (var option in new[] { samples, concurrency })
        {
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() < 1)
                {
                    result.AddError($"{option.Name} expects 1 or more");
                }
            });
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new Settings(
                result.GetValue(calls),
                result.GetValue(workflows),
                result.GetValue(samples),
                result.GetValue(concurrency),
                result.GetValue(postgres)!,
                result.GetValue(seed),
                result.GetValue(output) ?? Path.Combine("artifacts", "loadtest", "search-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)),
                !result.GetValue(quiet));
            var report = await RunAsync(settings, Console.Error, cancellationToken);
            Directory.CreateDirectory(settings.Out);
            await File.WriteAllTextAsync(Path.Combine(settings.Out, "search-report.json"), JsonSerializer.Serialize(report, Json), cancellationToken);
            var table = Table(report);
            await File.WriteAllTextAsync(Path.Combine(settings.Out, "search-report.md"), table, cancellationToken);
            await Console.Out.WriteLineAsync(table);
            await Console.Out.WriteLineAsync($"report: {Path.GetFullPath(settings.Out)} (search-report.json, search-report.md)");
            return report.Walk.Passed ? 0 : 2;
        });
        return command;
    }

    /// <summary>What the command was asked for.</summary>
    internal sealed record Settings(long Calls, long Workflows, int Samples, int Concurrency, string Postgres, int Seed, string Out, bool Progress);

    /// <summary>Stores the workload, times the queries, walks the pages.</summary>
    internal static async Task<SearchReport> RunAsync(Settings settings, TextWriter log, CancellationToken cancellationToken)
    {
        await using var server = await PostgresProvider.StartAsync(settings.Postgres, separateDatabases: true, statements: false, log);
        var connectionString = await server.DatabaseAsync("search");
        await using var host = await InProcessHost.StartAsync(connectionString);
        var workload = new WorkloadOptions
        {
            Calls = settings.Calls,
            Workflows = settings.Workflows,
            NodesPerWorkflow = 3,
            Seed = settings.Seed,
            MaxDelayMs = 0,
            Window = Math.Max(2000, 8 * settings.Concurrency),
        };
        var shape = new LoadShape { Concurrency = settings.Concurrency, Progress = settings.Progress };
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var cli = new CommandLine { Mode = "search", Verify = false };
        var stored = Stopwatch.StartNew();
        var driven = await Modes.DriveAsync("store", new GrainTarget(() => [grains], TimeSpan.FromSeconds(30)), null, workload, shape, cli, $"PostgreSQL ({server.Describe()})", 1, log, cancellationToken);
        stored.Stop();
        var expectedCalls = driven.Generator.Entities.Count(e => !e.IsWorkflow);
        var expectedWorkflows = driven.Generator.Entities.Count(e => e.IsWorkflow);
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"search: stored {expectedCalls:N0} calls and {expectedWorkflows:N0} workflow executions ({driven.Report.Acknowledged:N0} deliveries acknowledged, {driven.Report.FailedDeliveries:N0} failed) in {stored.Elapsed.TotalSeconds:0} s; timing the lists..."));

        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var walk = await WalkAsync(http, "/calls", expectedCalls, cancellationToken);
        var walkWorkflows = await WalkAsync(http, "/workflows", expectedWorkflows, cancellationToken);
        var first = await PageAsync(http, "/calls?limit=500", cancellationToken);
        var newest = walk.Newest ?? DateTimeOffset.UtcNow;
        var oldest = walk.Oldest ?? newest;
        var organization = first.Items.FirstOrDefault(i => i.OrganizationId is not null)?.OrganizationId;
        var deepCursor = await CursorAfterAsync(http, "/calls?limit=50", pages: 20, cancellationToken);
        var middle = oldest + ((newest - oldest) / 2);
        var window = $"since={Uri.EscapeDataString(middle.ToString("O", CultureInfo.InvariantCulture))}&until={Uri.EscapeDataString((middle + ((newest - oldest) / 20)).ToString("O", CultureInfo.InvariantCulture))}";

        var queries = new List<(string Name, string Path)>
        {
            ("calls: first page", "/calls?limit=50"),
            ("calls: SubVerse, PcaReady", "/calls?source=subverse&status=PcaReady&limit=50"),
            ("calls: Verbex, outcome Succeeded", "/calls?source=verbex&outcome=Succeeded&limit=50"),
            ("calls: status Failed (rare)", "/calls?status=Failed&limit=50"),
            ("calls: a 5% time window", "/calls?" + window + "&limit=50"),
            ("calls: page 21 (keyset cursor)", "/calls?limit=50" + (deepCursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(deepCursor))),
            ("workflows: first page", "/workflows?limit=50"),
            ("workflows: status Completed", "/workflows?status=Completed&limit=50"),
        };
        if (organization is not null)
        {
            queries.Insert(4, ("calls: one organization", "/calls?organizationId=" + Uri.EscapeDataString(organization) + "&limit=50"));
        }

        var timings = new List<QueryTiming>();
        foreach (var (name, path) in queries)
        {
            timings.Add(await TimeAsync(http, name, path, settings.Samples, cancellationToken));
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"search: {name}: median {timings[^1].MedianMs:0.00} ms ({timings[^1].Items} items)"));
        }

        return new SearchReport(
            DateTimeOffset.UtcNow,
            server.Describe(),
            expectedCalls,
            expectedWorkflows,
            driven.Report.Acknowledged,
            Math.Round(stored.Elapsed.TotalSeconds, 1),
            GoalMs,
            timings,
            walk with { Passed = walk.Passed && walkWorkflows.Passed, Workflows = walkWorkflows });
    }

    private static async Task<QueryTiming> TimeAsync(HttpClient http, string name, string path, int samples, CancellationToken cancellationToken)
    {
        var items = 0;
        for (var i = 0; i < 10; i++)
        {
            items = (await PageAsync(http, path, cancellationToken)).Items.Count;
        }

        var times = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead, cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
        }

        Array.Sort(times);
        var median = times[samples / 2];
        return new QueryTiming(name, path, items, samples, Math.Round(median, 2), Math.Round(times[(int)Math.Min(samples - 1, Math.Ceiling(samples * 0.9) - 1)], 2), Math.Round(times[^1], 2), median <= GoalMs);
    }

    private static async Task<string?> CursorAfterAsync(HttpClient http, string path, int pages, CancellationToken cancellationToken)
    {
        string? cursor = null;
        for (var i = 0; i < pages; i++)
        {
            var page = await PageAsync(http, path + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)), cancellationToken);
            if (page.NextCursor is null)
            {
                return cursor;
            }

            cursor = page.NextCursor;
        }

        return cursor;
    }

    /// <summary>Every page of 500, newest first: each entity once, none missing, keys in order.</summary>
    private static async Task<Walk> WalkAsync(HttpClient http, string path, long expected, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        DateTimeOffset? newest = null;
        var repeated = 0L;
        var outOfOrder = 0L;
        var pages = 0;
        DateTimeOffset? previous = null;
        string? cursor = null;
        var started = Stopwatch.StartNew();
        do
        {
            var page = await PageAsync(http, path + "?limit=500" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)), cancellationToken);
            pages++;
            foreach (var item in page.Items)
            {
                repeated += seen.Add(item.Key) ? 0 : 1;
                outOfOrder += previous is { } p && item.FirstReceivedAt > p ? 1 : 0;
                newest ??= item.FirstReceivedAt;
                previous = item.FirstReceivedAt;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        started.Stop();
        return new Walk(path, expected, seen.Count, repeated, outOfOrder, pages, Math.Round(started.Elapsed.TotalSeconds, 2), seen.Count == expected && repeated == 0 && outOfOrder == 0, null)
        {
            Newest = newest,
            Oldest = previous,
        };
    }

    private static async Task<Page> PageAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return await response.Content.ReadFromJsonAsync<Page>(Json, cancellationToken) ?? throw new InvalidOperationException($"GET {path} answered no body");
    }

    /// <summary>The report as a Markdown table (also printed).</summary>
    internal static string Table(SearchReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"search over {report.Calls:N0} calls and {report.Workflows:N0} workflow executions on {report.Postgres} (stored in {report.StoreSeconds:0} s); goal: median ≤ {report.GoalMs:0} ms");
        text.AppendLine();
        text.AppendLine("| query | items | median ms | p90 ms | max ms | goal |");
        text.AppendLine("|---|---:|---:|---:|---:|---|");
        foreach (var q in report.Queries)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {q.Name} | {q.Items} | {q.MedianMs:0.00} | {q.P90Ms:0.00} | {q.MaxMs:0.00} | {(q.GoalMet ? "met" : "MISSED")} |");
        }

        text.AppendLine();
        foreach (var walk in new[] { report.Walk, report.Walk.Workflows! })
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"walk {walk.Path}: {walk.Found:N0} of {walk.Expected:N0} found in {walk.Pages} pages of 500 ({walk.Seconds:0.0} s), {walk.Repeated} repeated, {walk.OutOfOrder} out of order: {(walk.Passed ? "PASS" : "FAIL")}");
        }

        return text.ToString();
    }

    /// <summary>A list answer, as much of it as the benchmark reads.</summary>
    internal sealed record Page(IReadOnlyList<PageItem> Items, string? NextCursor);

    /// <summary>One list item, as much of it as the benchmark reads.</summary>
    internal sealed record PageItem(string Key, string? OrganizationId, DateTimeOffset FirstReceivedAt);

    /// <summary>One query's timings.</summary>
    internal sealed record QueryTiming(string Name, string Path, int Items, int Samples, double MedianMs, double P90Ms, double MaxMs, bool GoalMet);

    /// <summary>One walk over every page.</summary>
    internal sealed record Walk(string Path, long Expected, long Found, long Repeated, long OutOfOrder, int Pages, double Seconds, bool Passed, Walk? Workflows)
    {
        /// <summary>The newest first arrival seen.</summary>
        public DateTimeOffset? Newest { get; init; }

        /// <summary>The oldest first arrival seen.</summary>
        public DateTimeOffset? Oldest { get; init; }
    }

    /// <summary>The whole report (<c>search-report.json</c>).</summary>
    internal sealed record SearchReport(
        DateTimeOffset At,
        string Postgres,
        long Calls,
        long Workflows,
        long DeliveriesAcknowledged,
        double StoreSeconds,
        double GoalMs,
        IReadOnlyList<QueryTiming> Queries,
        Walk Walk);
}
