using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using CallEvents.LoadTest.Targets;
using CallEvents.TestSupport;

namespace CallEvents.LoadTest.Chaos;

/// <summary>
/// N silo processes of one cluster on loopback, clustered through one PostgreSQL database: each is this tool run
/// as <c>silo</c> (<see cref="SiloHost"/>) with its own HTTP, silo and gateway port, started, SIGKILLed, SIGTERMed
/// and restarted on the same ports. Each process's output goes to <c>silo-N.log</c> in the log directory.
/// </summary>
public sealed class SiloProcesses : IAsyncDisposable
{
    private readonly Silo[] _silos;
    private readonly string _connectionString;
    private readonly string _clusterId;
    private readonly string _logDirectory;
    private readonly IReadOnlyList<string> _extraArgs;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private SiloProcesses(int count, string connectionString, string logDirectory, IReadOnlyList<string> extraArgs)
    {
        _connectionString = connectionString;
        _logDirectory = logDirectory;
        _extraArgs = extraArgs;
        _clusterId = "chaos-" + Guid.NewGuid().ToString("N")[..8];
        _silos = [.. Enumerable.Range(1, count).Select(i => new Silo(i, FreePort.Get(), FreePort.Get(), FreePort.Get()))];
    }

    /// <summary>
    /// Arguments every silo gets: anonymous webhooks and no rate limit (a load test is not a 429 test), and a short
    /// republish period so an emission lost with a killed silo is sent again within seconds.
    /// </summary>
    public static IReadOnlyList<string> DefaultArgs { get; } =
    [
        .. InProcessHost.LoadTestArgs,
        "--Lifecycle:RepublishAfter=00:00:03",
        "--Logging:LogLevel:Microsoft.AspNetCore=Error",
    ];

    public int Count => _silos.Length;

    /// <summary>The silos' HTTP base addresses, silo 1 first.</summary>
    public IReadOnlyList<Uri> Urls => [.. _silos.Select(s => s.Url)];

    public Uri Url(int silo) => _silos[silo - 1].Url;

    public bool IsRunning(int silo) => _silos[silo - 1].Process is { HasExited: false };

    public int? ProcessId(int silo) => _silos[silo - 1].Process?.Id;

    public static async Task<SiloProcesses> StartAsync(int count, string connectionString, string logDirectory, IReadOnlyList<string>? extraArgs, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        Directory.CreateDirectory(logDirectory);
        var cluster = new SiloProcesses(count, connectionString, logDirectory, [.. DefaultArgs, .. extraArgs ?? []]);
        try
        {
            // The first silo alone applies the schema; the others then join it.
            cluster.Launch(1);
            await cluster.WaitReadyAsync(1, cancellationToken);
            for (var i = 2; i <= count; i++)
            {
                cluster.Launch(i);
            }

            for (var i = 2; i <= count; i++)
            {
                await cluster.WaitReadyAsync(i, cancellationToken);
            }

            await log.WriteLineAsync($"{count} silo processes up: {string.Join(", ", cluster._silos.Select(s => $"{s.Url} (pid {s.Process!.Id})"))}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: the process ends at once, without leaving the cluster.</summary>
    public async Task KillAsync(int silo)
    {
        var process = _silos[silo - 1].Process ?? throw new InvalidOperationException($"silo {silo} is not running");
        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the host shuts down gracefully (the silo leaves the cluster); waits up to a minute, then kills.</summary>
    public async Task TerminateAsync(int silo)
    {
        var process = _silos[silo - 1].Process ?? throw new InvalidOperationException($"silo {silo} is not running");
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Starts a silo again on its ports (a new silo generation) and waits until it answers.</summary>
    public async Task RestartAsync(int silo, CancellationToken cancellationToken)
    {
        if (IsRunning(silo))
        {
            throw new InvalidOperationException($"silo {silo} is still running");
        }

        Launch(silo);
        await WaitReadyAsync(silo, cancellationToken);
    }

    /// <summary>
    /// Makes sure a silo answers: starts it again when it is not running, and waits until it answers (a restart that
    /// was cut short leaves a process that runs but does not answer yet). True when it had to be started.
    /// </summary>
    public async Task<bool> EnsureAnsweringAsync(int silo, CancellationToken cancellationToken)
    {
        var started = !IsRunning(silo);
        if (started)
        {
            Launch(silo);
        }

        await WaitReadyAsync(silo, cancellationToken);
        return started;
    }

    /// <summary>The call and workflow grain keys active on a silo now (empty when it does not answer).</summary>
    public async Task<IReadOnlySet<string>> ActivationsAsync(int silo, CancellationToken cancellationToken)
    {
        try
        {
            var keys = await _http.GetFromJsonAsync<string[]>(new Uri(Url(silo), SiloHost.ActivationsPath), cancellationToken);
            return new HashSet<string>(keys ?? [], StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
    }

    private void Launch(int silo)
    {
        var s = _silos[silo - 1];
        s.Process?.Dispose();
        var tool = typeof(SiloProcesses).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = Path.GetDirectoryName(tool)!,
        };
        foreach (var arg in (string[])[
            tool, SiloHost.Command,
            "--urls", s.Url.ToString().TrimEnd('/'),
            $"--Orleans:SiloPort={s.SiloPort}", $"--Orleans:GatewayPort={s.GatewayPort}",
            $"--Orleans:ClusterId={_clusterId}", $"--Orleans:ServiceId={_clusterId}",
            $"--ConnectionStrings:Orleans={_connectionString}",
            .. _extraArgs])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_gcServer"] = "0";
        // One writer per silo for all its generations: the last lines of an exited process are still being drained
        // when the next one starts, and a second writer on the file would write over them (or they over its lines).
        var logFile = s.Log ??= new StreamWriter(Path.Combine(_logDirectory, $"silo-{silo}.log"), append: true) { AutoFlush = true };
        Write(logFile, $"--- started {DateTimeOffset.UtcNow:O}");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(logFile, e.Data);
        process.ErrorDataReceived += (_, e) => Write(logFile, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        s.Process = process;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task WaitReadyAsync(int silo, CancellationToken cancellationToken)
    {
        var s = _silos[silo - 1];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (s.Process is not { HasExited: false })
            {
                throw new InvalidOperationException($"silo {silo} exited with code {s.Process?.ExitCode}; see {Path.Combine(_logDirectory, $"silo-{silo}.log")}");
            }

            try
            {
                using var response = await _http.GetAsync(s.Url, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"silo {silo} did not answer on {s.Url} within 2 minutes; see {Path.Combine(_logDirectory, $"silo-{silo}.log")}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _silos)
        {
            if (s.Process is { HasExited: false } process)
            {
                try
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
                catch (InvalidOperationException)
                {
                }
            }

            s.Process?.Dispose();
            if (s.Log is { } writer)
            {
                lock (writer)
                {
                    writer.Dispose();
                }
            }
        }

        _http.Dispose();
    }

    private sealed class Silo(int index, int httpPort, int siloPort, int gatewayPort)
    {
        public int Index => index;

        public Uri Url { get; } = new($"http://127.0.0.1:{httpPort}/");

        public int SiloPort => siloPort;

        public int GatewayPort => gatewayPort;

        public Process? Process { get; set; }

        /// <summary>The silo's log file (<c>silo-N.log</c>), shared by all its processes.</summary>
        public StreamWriter? Log { get; set; }
    }
}
