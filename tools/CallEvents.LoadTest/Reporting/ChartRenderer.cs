using CallEvents.LoadTest.Metrics;
using ScottPlot;

namespace CallEvents.LoadTest.Reporting;

/// <summary>
/// Draws a run's seconds with ScottPlot as a PNG: above, deliveries acknowledged and failed attempts per second;
/// below, p99 and p50 acknowledgement latency per second; faults (a killed silo) as dashed vertical lines.
/// </summary>
public static class ChartRenderer
{
    public const int Width = 1100;
    public const int Height = 720;

    // Distinct hues, so the series can be told apart in the picture and found in it by the tests.
    internal static readonly Color AcknowledgedColour = Color.FromHex("#1F6FC5");
    internal static readonly Color FailedColour = Color.FromHex("#F28C28");
    internal static readonly Color P99Colour = Color.FromHex("#D0342C");
    internal static readonly Color P50Colour = Color.FromHex("#2E9E4F");
    internal static readonly Color FaultColour = Color.FromHex("#8E44AD");

    // ScottPlot's sans-serif detection settles on DejaVu Serif on Debian: ask for DejaVu Sans (Debian's default
    // font) when it is installed, else keep ScottPlot's choice (empty when the machine has no font at all).
    private static readonly string FontFamily =
        Fonts.GetTypeface("DejaVu Sans", bold: false, italic: false)?.FamilyName == "DejaVu Sans" ? "DejaVu Sans" : Fonts.Default;

    /// <summary>False on a machine without fonts, where charts are drawn without any text.</summary>
    public static bool HasFont => !string.IsNullOrEmpty(FontFamily);

    public static byte[] Render(string title, IReadOnlyList<SecondSample> series, IReadOnlyList<(double Second, string What)> marks, IReadOnlyList<StatusSecond>? statuses = null)
    {
        var chart = Build(title, series, marks, statuses);
        try
        {
            using var image = chart.Render(Width, Height);
            return image.GetImageBytes(ImageFormat.Png, 100);
        }
        finally
        {
            foreach (var plot in chart.GetPlots())
            {
                plot.Dispose();
            }
        }
    }

    /// <summary>The two stacked plots sharing the time axis (what <see cref="Render"/> draws; tests read its series).</summary>
    internal static Multiplot Build(string title, IReadOnlyList<SecondSample> series, IReadOnlyList<(double Second, string What)> marks, IReadOnlyList<StatusSecond>? statuses = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(marks);
        var seconds = series.Select(s => (double)s.Second).ToArray();

        var throughput = new Plot();
        throughput.Title(title);
        throughput.YLabel("per second");
        if (statuses is { Count: > 0 })
        {
            StackedStatuses(throughput, statuses);
        }
        else
        {
            Line(throughput, seconds, [.. series.Select(s => (double)s.Acknowledged)], AcknowledgedColour, "deliveries acknowledged/s");
            Line(throughput, seconds, [.. series.Select(s => (double)s.Errors)], FailedColour, "failed attempts/s");
        }

        var latency = new Plot();
        latency.YLabel("latency (ms)");
        latency.XLabel("time (s)");
        Line(latency, seconds, [.. series.Select(s => s.P99Ms)], P99Colour, "p99");
        Line(latency, seconds, [.. series.Select(s => s.P50Ms)], P50Colour, "p50");

        // The same left and right padding in both, so their data areas (and time axes) line up.
        throughput.Layout.Fixed(new PixelPadding(90, 30, 40, 40));
        latency.Layout.Fixed(new PixelPadding(90, 30, 55, 15));
        foreach (var plot in new[] { throughput, latency })
        {
            // Counts and latencies start at zero: anchor the y axis there rather than at the smallest value.
            plot.Axes.AutoScale();
            var limits = plot.Axes.GetLimits();
            plot.Axes.SetLimitsY(0, Math.Max(limits.Top, 1) * 1.05);
            plot.Font.Set(FontFamily);
            plot.ShowLegend(Alignment.UpperLeft);
        }

        foreach (var (second, what) in marks)
        {
            Mark(throughput, second, what);
            Mark(latency, second, null);
        }

        var chart = new Multiplot(throughput);
        chart.AddPlot(latency);
        chart.SharedAxes.ShareX([throughput, latency]);
        return chart;
    }

    /// <summary>The colour of a status in the stacked chart: 2xx blue, 503 orange, 500 red, the rest grey shades.</summary>
    internal static Color StatusColour(string status) => status switch
    {
        "2xx" => AcknowledgedColour,
        "503" => FailedColour,
        "500" => Color.FromHex("#C0392B"),
        "timeout" => Color.FromHex("#7F8C8D"),
        "no connection" => Color.FromHex("#34495E"),
        _ => Color.FromHex("#B7950B"),
    };

    /// <summary>Attempts answered per second, one bar per second stacked by status (2xx at the bottom).</summary>
    private static void StackedStatuses(Plot plot, IReadOnlyList<StatusSecond> statuses)
    {
        var order = statuses.SelectMany(s => s.Counts.Keys).Distinct(StringComparer.Ordinal)
            .OrderBy(k => k == "2xx" ? 0 : 1).ThenBy(k => k, StringComparer.Ordinal).ToList();
        var bars = new List<Bar>();
        foreach (var second in statuses)
        {
            double bottom = 0;
            foreach (var status in order)
            {
                var count = second.Counts.GetValueOrDefault(status);
                if (count == 0)
                {
                    continue;
                }

                bars.Add(new Bar { Position = second.Second + 0.5, ValueBase = bottom, Value = bottom + count, FillColor = StatusColour(status), LineWidth = 0, Size = 0.9 });
                bottom += count;
            }
        }

        plot.Add.Bars(bars);
        foreach (var status in order)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = status == "2xx" ? "2xx (acknowledged)" : status, FillColor = StatusColour(status) });
        }

        plot.YLabel("attempts answered per second, by status");
    }

    private static void Line(Plot plot, double[] xs, double[] ys, Color colour, string label)
    {
        var line = plot.Add.ScatterLine(xs, ys, colour);
        line.LineWidth = 2;
        line.LegendText = label;
    }

    private static void Mark(Plot plot, double second, string? what)
    {
        var line = plot.Add.VerticalLine(second, 2, FaultColour, LinePattern.Dashed);
        if (what is not null)
        {
            // Labelled inside the data area, at its top, beside the line (an axis label would collide with the
            // title or the tick labels).
            line.LegendText = "fault";
            var label = plot.Add.Text(what, second, plot.Axes.GetLimits().Top);
            label.LabelAlignment = Alignment.UpperLeft;
            label.OffsetX = 4;
            label.OffsetY = 4;
            label.LabelFontName = FontFamily;
            label.LabelFontColor = FaultColour;
            label.LabelBold = true;
        }
    }
}
