using System.Diagnostics;
using CallEvents.TestSupport;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// Drives deploy/local-cluster.sh: real silo processes (the built OrleansHost.dll) on loopback ports, sharing a
/// PostgreSQL database, that a test can start, SIGKILL and stop.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string> _env;
    private readonly string _dir;
    private bool _stopped = true;

    public LocalCluster(string connectionString, int silos, IEnumerable<string>? siloArgs = null)
    {
        Silos = silos;
        _dir = Directory.CreateTempSubdirectory("callevents-cluster-").FullName;
        HttpPorts = [.. Enumerable.Range(0, silos).Select(_ => FreePort.Get())];
        _env = new Dictionary<string, string>
        {
            ["CONNECTION_STRING"] = connectionString,
            ["CALLEVENTS_CLUSTER_DIR"] = _dir,
            ["HOST_DLL"] = BuiltHost.DllPath,
            ["CLUSTER_ID"] = $"script-{Guid.NewGuid():N}",
            ["HTTP_PORTS"] = string.Join(' ', HttpPorts),
            ["SILO_PORTS"] = string.Join(' ', Enumerable.Range(0, silos).Select(_ => FreePort.Get())),
            ["GATEWAY_PORTS"] = string.Join(' ', Enumerable.Range(0, silos).Select(_ => FreePort.Get())),
            ["SILO_ARGS"] = string.Join(' ', siloArgs ?? []),
        };
    }

    public int Silos { get; }

    public int[] HttpPorts { get; }

    public Uri Url(int silo) => new($"http://127.0.0.1:{HttpPorts[silo - 1]}");

    public async Task StartAsync()
    {
        _stopped = false;
        await RunAsync("start", Silos.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster.</summary>
    public Task KillAsync(int silo) => RunAsync("kill", silo.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await RunAsync("stop");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoRoot(), "deploy", "local-cluster.sh"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in _env)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"local-cluster.sh {string.Join(' ', args)} failed:\n{await stdout}{await stderr}");
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansHost.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("OrleansHost.sln not found above the test directory");
    }
}
