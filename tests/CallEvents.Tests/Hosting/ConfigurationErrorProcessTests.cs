using System.Diagnostics;
using System.Globalization;
using CallEvents.Hosting;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;

namespace CallEvents.Tests.Hosting;

/// <summary>The built executable, started the way an operator starts it, with a configuration it must refuse.</summary>
public sealed class ConfigurationErrorProcessTests
{
    [Fact]
    public async Task A_durable_production_host_without_credentials_prints_one_line_and_exits_with_the_config_code()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                BuiltHost.DllPath,
                "--urls", "http://127.0.0.1:0",
                $"--Orleans:SiloPort={FreePort.Get().ToString(CultureInfo.InvariantCulture)}",
                $"--Orleans:GatewayPort={FreePort.Get().ToString(CultureInfo.InvariantCulture)}",
            },
            WorkingDirectory = Path.GetDirectoryName(BuiltHost.DllPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Nothing listens on port 1: the host must refuse before it would try to connect.
        start.Environment["ConnectionStrings__Orleans"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=1";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("Security__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await process.WaitForExitAsync(timeout.Token);
        }

        var output = await stdout;
        var errors = await stderr;
        var all = $"--- stdout\n{output}\n--- stderr\n{errors}";
        Assert.True(process.ExitCode == CallEventHost.ConfigurationErrorExitCode, $"exit code {process.ExitCode}\n{all}");
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("refuses to start open", line, StringComparison.Ordinal);
        Assert.Contains("Security:OperatorKeys", line, StringComparison.Ordinal);
        Assert.Contains("Security:AllowAnonymous=true", line, StringComparison.Ordinal);
        Assert.True(output.Trim().Length == 0, all);
        Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", all, StringComparison.Ordinal);
    }
}
