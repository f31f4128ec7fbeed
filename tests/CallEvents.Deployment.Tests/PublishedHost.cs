using System.Diagnostics;
using System.Text;
using CallEvents.TestSupport;

namespace CallEvents.Deployment.Tests;

/// <summary>
/// Publishes the host once per test run the way the systemd unit expects it (<c>dotnet publish src/OrleansHost -c Release
/// -r linux-x64 --self-contained</c>) and starts the output as processes.
/// </summary>
public sealed class PublishedHostFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _output = System.IO.Directory.CreateTempSubdirectory("callevents-publish-");

    public string Executable => Path.Combine(_output.FullName, "OrleansHost");

    public string OutputDirectory => _output.FullName;

    public PostgresServer Postgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var publish = Task.Run(async () =>
        {
            var (exitCode, output) = await RunAsync("dotnet", ["publish", Path.Combine(DeployFiles.RepositoryRoot, "src", "OrleansHost"), "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", _output.FullName, "-nologo", "-v", "q"]);
            Assert.True(exitCode == 0, "dotnet publish failed:\n" + output);
        });
        Postgres = await PostgresServer.CreateAsync();
        await publish;
        Assert.True(File.Exists(Executable), "the publish output has no OrleansHost executable");
    }

    public async Task DisposeAsync()
    {
        await Postgres.DisposeAsync();
        _output.Delete(recursive: true);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>One started process of the published host, with its output collected.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="executable"/> in its directory with exactly these variables added to the environment.</summary>
    public static HostProcess Start(string executable, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = Path.GetDirectoryName(executable)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Nothing of the test runner's own configuration leaks in.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.Contains("__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new HostProcess(Process.Start(start)!);
    }

    /// <summary>SIGTERM, as docker stop, the kubelet and systemd send; then waits for the exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan patience)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(patience);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async Task<int> WaitForExitAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
