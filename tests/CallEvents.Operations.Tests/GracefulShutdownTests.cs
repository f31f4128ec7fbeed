using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using CallEvents.TestSupport;
using Xunit.Abstractions;

namespace CallEvents.Operations.Tests;

/// <summary>
/// Two silo processes (the built src/OrleansHost) clustered on a real PostgreSQL, under a load of deliveries to both;
/// one gets SIGTERM mid-load. Every acknowledged delivery must be stored, nothing but 503 may be a 5xx, and the
/// stopped process must exit 0.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class GracefulShutdownTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const int Calls = 120;
    private static readonly string[] Events = ["CallHandler.CallStarted", "CallHandler.CallEnded"];
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_SIGTERMed_silo_drains_leaves_and_exits_0_while_the_load_goes_on_with_nothing_acknowledged_lost()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("shutdown");
        var clusterId = $"shutdown-{Guid.NewGuid():N}";
        await using var a = SiloProcess.Start(connectionString, clusterId, ShutdownTimeout);
        await using var b = SiloProcess.Start(connectionString, clusterId, ShutdownTimeout);
        await Task.WhenAll(a.WaitReadyAsync(), b.WaitReadyAsync());

        var deliveries = new ConcurrentQueue<(string CallId, string EventName, byte[] Body)>(
            Enumerable.Range(0, Calls).SelectMany(i => Events.Select(e => ($"sigterm-{i:D4}", e, Deliveries.Verbex(e, $"sigterm-{i:D4}", Guid.NewGuid().ToString())))));
        var total = deliveries.Count;
        var acknowledged = new ConcurrentBag<(string CallId, string EventName)>();
        var statuses = new ConcurrentDictionary<int, int>();
        var terminated = 0;

        async Task WorkAsync(int worker)
        {
            while (deliveries.TryDequeue(out var delivery))
            {
                for (var attempt = 0; ; attempt++)
                {
                    var target = Volatile.Read(ref terminated) == 1 || (worker + attempt) % 2 == 1 ? b : a;
                    try
                    {
                        using var response = await target.Http.PostAsync(new Uri("/webhooks/verbex", UriKind.Relative), Deliveries.Json(delivery.Body));
                        statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged.Add((delivery.CallId, delivery.EventName));
                            break;
                        }

                        if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                        {
                            break; // recorded; asserted below
                        }

                        Assert.NotNull(response.Headers.RetryAfter);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        // The stopping silo closed its listener: the provider retries (on the other silo).
                    }

                    Assert.True(attempt < 200, $"delivery {delivery.CallId} {delivery.EventName} was never acknowledged");
                    await Task.Delay(100);
                }
            }
        }

        var workers = Enumerable.Range(0, 8).Select(WorkAsync).ToList();
        await Wait.UntilAsync(() => acknowledged.Count >= total / 3, TimeSpan.FromMinutes(2), "a third of the deliveries to be acknowledged");
        a.Terminate();
        Volatile.Write(ref terminated, 1);
        output.WriteLine($"SIGTERM after {acknowledged.Count} of {total} acknowledgements");

        await Task.WhenAll(workers);
        var exited = await a.WaitForExitAsync(ShutdownTimeout + TimeSpan.FromSeconds(30));
        output.WriteLine($"statuses: {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}");
        output.WriteLine(a.Output);

        Assert.True(exited, "the SIGTERMed silo did not exit");
        Assert.Equal(0, a.ExitCode);
        Assert.All(statuses.Keys, status => Assert.True(status is 200 or 503, $"status {status}"));
        Assert.Equal(total, acknowledged.Count);

        // Every acknowledged delivery is stored, read back through the survivor.
        foreach (var call in acknowledged.GroupBy(d => d.CallId))
        {
            using var response = await b.Http.GetAsync(new Uri($"/calls/verbex/{call.Key}/events", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var stored = document.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("eventName").GetString()).ToHashSet();
            Assert.All(call, d => Assert.Contains(d.EventName, stored));
        }

        var survivor = await b.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, survivor.StatusCode);
    }

    /// <summary>One silo: <c>dotnet OrleansHost.dll</c> on free loopback ports, PostgreSQL clustering.</summary>
    private sealed class SiloProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        private SiloProcess(Process process, Uri address)
        {
            _process = process;
            Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(15) };
        }

        public HttpClient Http { get; }

        public int ExitCode => _process.ExitCode;

        public string Output => string.Join('\n', _output.TakeLast(40));

        public static SiloProcess Start(string connectionString, string clusterId, TimeSpan shutdownTimeout)
        {
            var http = FreePort.Get();
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            string[] args =
            [
                BuiltHost.DllPath,
                "--urls", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{http}"),
                string.Create(CultureInfo.InvariantCulture, $"--Orleans:SiloPort={FreePort.Get()}"),
                string.Create(CultureInfo.InvariantCulture, $"--Orleans:GatewayPort={FreePort.Get()}"),
                $"--Orleans:ClusterId={clusterId}",
                $"--ConnectionStrings:Orleans={connectionString}",
                "--Security:AllowAnonymous=true",
                "--Security:RateLimit:PermitsPerSecond=100000",
                "--Security:RateLimit:Burst=100000",
                string.Create(CultureInfo.InvariantCulture, $"--Shutdown:Timeout={shutdownTimeout:c}"),
                "--Shutdown:DrainDelay=00:00:02",
                "--Dashboard:Enabled=false",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:CallEvents.Hosting.Operations=Information",
                "--Logging:LogLevel:Orleans=Error",
            ];
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            var silo = new SiloProcess(process, new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{http}")));
            process.OutputDataReceived += (_, e) => silo.Add(e.Data);
            process.ErrorDataReceived += (_, e) => silo.Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return silo;
        }

        public Task WaitReadyAsync() =>
            Wait.UntilAsync(
                async () =>
                {
                    Assert.False(_process.HasExited, $"the silo exited: {Output}");
                    using var response = await Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                    return response.StatusCode == HttpStatusCode.OK;
                },
                TimeSpan.FromSeconds(90),
                "a silo process to be ready");

        /// <summary>SIGTERM, as a supervisor sends it.</summary>
        public void Terminate()
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        public async Task<bool> WaitForExitAsync(TimeSpan limit)
        {
            using var cancel = new CancellationTokenSource(limit);
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            if (!_process.HasExited)
            {
                Terminate();
                if (!await WaitForExitAsync(TimeSpan.FromSeconds(45)))
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process.Dispose();
        }

        private void Add(string? line)
        {
            if (line is not null)
            {
                _output.Enqueue(line);
            }
        }
    }
}
