using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Reporting;
using ScottPlot;
using ScottPlot.Plottables;

namespace CallEvents.LoadTest.Tests;

/// <summary>The chart (ScottPlot): the expected series and fault marks, rendered as a PNG that decodes and shows them.</summary>
public sealed class ChartTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly List<SecondSample> Series =
        [.. Enumerable.Range(0, 30).Select(s => new SecondSample(s, 1000 + (s * 50), s is >= 12 and < 15 ? 40 : 0, 2.5, 10 + s, 40))];

    [Fact]
    public void The_chart_plots_throughput_failures_and_latency_per_second_with_fault_marks()
    {
        var chart = ChartRenderer.Build("grain c=64: closed loop", Series, [(12.3, "kill")]);

        var plots = chart.GetPlots();
        Assert.Equal(2, plots.Length);
        var (throughput, latency) = (plots[0], plots[1]);
        Assert.Equal(["deliveries acknowledged/s", "failed attempts/s"], Lines(throughput).Select(l => l.LegendText));
        Assert.Equal(["p99", "p50"], Lines(latency).Select(l => l.LegendText));
        Assert.Equal(Series.Select(s => (double)s.Acknowledged), Lines(throughput)[0].Data.GetScatterPoints().Select(p => p.Y));
        Assert.Equal(Series.Select(s => (double)s.Errors), Lines(throughput)[1].Data.GetScatterPoints().Select(p => p.Y));
        Assert.Equal(Series.Select(s => s.P99Ms), Lines(latency)[0].Data.GetScatterPoints().Select(p => p.Y));
        Assert.Equal(Series.Select(s => s.P50Ms), Lines(latency)[1].Data.GetScatterPoints().Select(p => p.Y));

        Assert.Equal(12.3, Assert.Single(throughput.GetPlottables<VerticalLine>()).X);
        var label = Assert.Single(throughput.GetPlottables<Text>());
        Assert.Equal(("kill", 12.3), (label.LabelText, label.Location.X));
        Assert.Equal(12.3, Assert.Single(latency.GetPlottables<VerticalLine>()).X);
    }

    [Fact]
    public void A_rendered_chart_is_a_png_that_shows_every_series()
    {
        var png = ChartRenderer.Render("grain c=64: closed loop", Series, [(12.3, "kill")]);

        Assert.Equal(PngSignature, png[..8]);
        using var image = new Image(png);
        Assert.Equal((ChartRenderer.Width, ChartRenderer.Height), (image.Width, image.Height));
        var pixels = image.GetArrayRGB();
        foreach (var (name, colour) in new[]
        {
            ("acknowledged", ChartRenderer.AcknowledgedColour), ("failed", ChartRenderer.FailedColour), ("p99", ChartRenderer.P99Colour),
            ("p50", ChartRenderer.P50Colour), ("fault", ChartRenderer.FaultColour),
        })
        {
            Assert.True(CountPixels(pixels, colour) > 100, $"the {name} colour is (almost) absent from the chart");
        }
    }

    [Fact]
    public async Task The_report_writer_writes_a_png_chart_per_run_and_both_reports()
    {
        var directory = Path.Combine(Path.GetTempPath(), "callevents-chart-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var stats = new RunStats();
            stats.Start(0);
            stats.Acknowledge(15_000, duplicate: false);
            var run = RunReport.From("t", "grain API", "closed loop", "memory", 2, stats, TimeSpan.FromSeconds(1), verdict: null, faults: []);
            var report = new LoadTestReport { Mode = "grain", Date = DateTimeOffset.UtcNow, Machine = MachineInfo.Current(), CommandLine = "test", Workload = "test", Runs = [run, run with { Name = "t #2" }] };

            await ReportWriter.WriteAsync(report, directory);

            foreach (var chart in new[] { "chart.png", "chart-1-t.png", "chart-2-t--2.png" })
            {
                var png = await File.ReadAllBytesAsync(Path.Combine(directory, chart));
                Assert.Equal(PngSignature, png[..8]);
                using var image = new Image(png);
                Assert.Equal(ChartRenderer.Width, image.Width);
            }

            Assert.True(File.Exists(Path.Combine(directory, "report.json")));
            Assert.Contains("| t |", await File.ReadAllTextAsync(Path.Combine(directory, "report.md")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static List<Scatter> Lines(Plot plot) => [.. plot.GetPlottables<Scatter>()];

    /// <summary>Pixels within a small distance of <paramref name="colour"/> (anti-aliasing blends the edges of lines).</summary>
    private static int CountPixels(byte[,,] pixels, Color colour)
    {
        var count = 0;
        for (var y = 0; y < pixels.GetLength(0); y++)
        {
            for (var x = 0; x < pixels.GetLength(1); x++)
            {
                if (Math.Abs(pixels[y, x, 0] - colour.R) + Math.Abs(pixels[y, x, 1] - colour.G) + Math.Abs(pixels[y, x, 2] - colour.B) < 24)
                {
                    count++;
                }
            }
        }

        return count;
    }
}
