using System.Net;
using CallEvents.LoadTest.Chaos;
using CallEvents.LoadTest.Running;
using CallEvents.LoadTest.Workload;
using CallEvents.TestSupport;
using Xunit.Abstractions;

namespace CallEvents.LoadTest.Tests;

/// <summary>
/// Faults over real processes: three silo processes of the service clustered through a real (throwaway)
/// PostgreSQL. Behaviour only: no 500, nothing acknowledged lost, everything stored exactly once.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    /// <summary>
    /// A short chaos run (the mode's own code, as the command runs it): one SIGKILL, one restart, one SIGTERM and its
    /// restart, one PostgreSQL stop and start, under HTTP load with a compressed provider retry schedule. Every attempt
    /// is answered 2xx or 503 with Retry-After, never another 5xx; the verdict reads every entity back: every
    /// acknowledged event stored exactly once, the right status, one follow-up decision per PCA-ready call.
    /// </summary>
    [Fact]
    public async Task A_short_chaos_run_answers_no_500_and_loses_nothing()
    {
        var outDirectory = Path.Combine(Path.GetTempPath(), "chaos-test-" + Guid.NewGuid().ToString("N")[..8]);
        CommandLine? cli = null;
        var exit = await Cli.Create((parsed, _) =>
        {
            cli = parsed;
            return Task.FromResult(0);
        }).Parse(["chaos", "--duration", "40", "--rate", "30", "--faults", "4:kill:2,8:restart:2,20:term:3,22:restart:3,31:pg-stop,34:pg-start", "--retry-scale", "0.2", "--settle", "90", "--quiet", "--out", outDirectory]).InvokeAsync();
        Assert.Equal(0, exit);

        var report = await ChaosRun.RunAsync(cli!, cli!.Faults, new TestLog(output), CancellationToken.None);

        var chaos = report.Chaos!;
        var run = report.Runs.Single();
        output.WriteLine(string.Join(Environment.NewLine, report.Notes));
        var verdict = run.Verdict!;
        output.WriteLine(InMemoryRunTests.Describe(verdict));
        Assert.Empty(chaos.FaultErrors);
        Assert.Equal(6, chaos.Faults.Count);
        Assert.Equal(0, chaos.ServerErrors);
        Assert.Equal(0, chaos.UnavailableWithoutRetryAfter);
        Assert.DoesNotContain("500", run.StatusTotals.Keys);
        Assert.True(run.StatusTotals.GetValueOrDefault("2xx") > 0);
        Assert.Equal(2, chaos.Windows.Count);
        Assert.True(verdict.Passed, InMemoryRunTests.Describe(verdict));
        Assert.True(verdict.EmissionsChecked, $"{verdict.DecisionsChecked} checked, {verdict.DecisionsNotObservable} not observable");
        Assert.True(report.Passed);
    }

    /// <summary>
    /// PostgreSQL stopped under a three-silo cluster of separate processes, and each new call's three events sent at
    /// once, one to each silo (the grain is activated by whichever arrives first, on any silo): every answer is 503
    /// with Retry-After (or 2xx), never 500. With PostgreSQL started again, the provider's retries all succeed and each
    /// call reads back with each of its events once.
    /// </summary>
    [Fact]
    public async Task With_PostgreSQL_stopped_concurrent_first_events_on_three_silos_get_503_never_500_and_retries_store_each_once()
    {
        await using var postgres = await PostgresServer.CreateAsync();
        Assert.True(postgres.CanRestart, $"this test stops PostgreSQL: unset {PostgresServer.ExternalServerVariable}");
        var database = await postgres.CreateDatabaseAsync("outage");
        await using var silos = await SiloProcesses.StartAsync(3, database, Path.Combine(Path.GetTempPath(), "outage-" + Guid.NewGuid().ToString("N")[..8]), [], new TestLog(output), CancellationToken.None);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        var generator = new WorkloadGenerator(new WorkloadOptions { Calls = 40, Workflows = 0, VerbexShare = 0.5, FailureRate = 0, DuplicateRate = 0, ShuffleShare = 0, MaxDelayMs = 0, Window = 40, Seed = 11 });
        var deliveries = new List<Delivery>();
        while (generator.TryNext(out var delivery))
        {
            deliveries.Add(delivery);
        }

        var calls = deliveries.GroupBy(d => d.Entity.Key).ToList();
        Assert.Equal(40, calls.Count);
        Assert.All(calls, c => Assert.Equal(3, c.Count()));

        await postgres.StopAsync();
        var answers = new List<(Delivery Delivery, HttpStatusCode Status, bool RetryAfter)>();
        foreach (var call in calls)
        {
            // The call's three events at the same moment, one to each silo.
            var sent = await Task.WhenAll(call.Select((d, i) => PostAsync(http, silos.Url((i % 3) + 1), d)));
            answers.AddRange(sent);
        }

        var statuses = answers.GroupBy(a => (int)a.Status).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("with PostgreSQL stopped: " + string.Join(", ", statuses.Select(kv => $"{kv.Key} x{kv.Value}")));
        Assert.All(answers, a => Assert.True(
            a.Status == HttpStatusCode.ServiceUnavailable ? a.RetryAfter : (int)a.Status is >= 200 and < 300,
            $"{a.Delivery.Entity.Key}: {(int)a.Status}{(a.RetryAfter ? string.Empty : " without Retry-After")}"));
        Assert.Contains(answers, a => a.Status == HttpStatusCode.ServiceUnavailable);

        await postgres.StartAsync();
        foreach (var (delivery, status, _) in answers.Where(a => (int)a.Status is < 200 or >= 300))
        {
            // The provider's retries: 1 s, 5 s, 25 s; with the database back the first one may still meet a grain that
            // has not reconnected yet, so each gets the whole schedule.
            var stored = false;
            foreach (var pause in new[] { 1, 5, 25 })
            {
                await Task.Delay(TimeSpan.FromSeconds(pause) / 5);
                var retry = await PostAsync(http, silos.Url(Random.Shared.Next(1, 4)), delivery);
                Assert.NotEqual(HttpStatusCode.InternalServerError, retry.Status);
                if ((int)retry.Status is >= 200 and < 300)
                {
                    stored = true;
                    break;
                }
            }

            Assert.True(stored, $"{delivery.Entity.Key} {delivery.Event.Kind} was never stored after PostgreSQL came back");
        }

        foreach (var call in calls)
        {
            var entity = call.First().Entity;
            using var response = await http.GetAsync(new Uri(silos.Url(1), $"/calls/{entity.Source}/{Uri.EscapeDataString(entity.EntityId)}/events"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var history = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var events = history.RootElement.GetProperty("events").EnumerateArray().ToList();
            Assert.Equal(3, events.Count);
            Assert.Equal(3, events.Select(e => e.GetProperty("dedupKey").GetString()).Distinct(StringComparer.Ordinal).Count());
            Assert.All(events, e => Assert.Equal(0, e.GetProperty("duplicates").GetInt32()));
        }
    }

    private static async Task<(Delivery Delivery, HttpStatusCode Status, bool RetryAfter)> PostAsync(HttpClient http, Uri silo, Delivery delivery)
    {
        using var content = new ByteArrayContent(delivery.Body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(silo, $"/webhooks/{delivery.Entity.Source}")) { Content = content };
        foreach (var (name, value) in delivery.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request);
        return (delivery, response.StatusCode, response.Headers.RetryAfter is not null);
    }

    /// <summary>The run's log lines into the test output.</summary>
    private sealed class TestLog(ITestOutputHelper output) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    output.WriteLine(_line.ToString().TrimEnd('\r'));
                    _line.Clear();
                }
                else
                {
                    _line.Append(value);
                }
            }
        }
    }
}
