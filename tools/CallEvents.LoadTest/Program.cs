using System.CommandLine;
using CallEvents.LoadTest.Reporting;
using CallEvents.LoadTest.Running;

namespace CallEvents.LoadTest;

/// <summary>Entry point: <c>dotnet run -c Release --project tools/CallEvents.LoadTest -- &lt;grain|http|bench|chaos|search&gt; [options]</c>.</summary>
public static class Program
{
    /// <summary>0: every verdict passed; 1: bad arguments or a run that could not complete; 2: a verdict failed.</summary>
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == Chaos.SiloHost.Command)
        {
            // One silo process of the chaos mode's cluster (not listed in help: the tool starts these itself).
            return await Chaos.SiloHost.RunAsync(args[1..]);
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        // No process-termination timeout: Ctrl+C cancels the run through the handler above, as before, instead of
        // System.CommandLine ending the process a moment later.
        return await Cli.Create(RunAsync).Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cancel.Token);
    }

    private static async Task<int> RunAsync(CommandLine cli, CancellationToken cancellationToken)
    {
        var report = await Modes.RunAsync(cli, Console.Error, cancellationToken);
        await ReportWriter.WriteAsync(report, cli.Out);
        if (!ChartRenderer.HasFont)
        {
            await Console.Error.WriteLineAsync("warning: no font found, so the charts have no text (Debian: apt-get install fonts-dejavu-core)");
        }

        await Console.Out.WriteLineAsync();
        await Console.Out.WriteLineAsync(ReportWriter.Table(report));
        await Console.Out.WriteLineAsync($"report: {Path.GetFullPath(cli.Out)} (report.json, report.md, chart.png)");
        return report.Passed ? 0 : 2;
    }
}
