using System.Globalization;
using CallEvents.LoadTest.Metrics;

namespace CallEvents.LoadTest.Reporting;

/// <summary>Draws throughput per second and p50/p99 latency per second over time, with fault marks, as a PNG.</summary>
public static class ChartRenderer
{
    private const int ChartWidth = 1100;
    private const int ChartHeight = 720;
    private const int Left = 110;
    private const int Right = 30;
    private const uint Axis = 0x333333FF;
    private const uint Grid = 0xE4E4E4FF;
    private const uint ThroughputColour = 0x1F6FC5FF;
    private const uint P99Colour = 0xD0342CFF;
    private const uint P50Colour = 0x2E9E4FFF;
    private const uint ErrorColour = 0xF28C28FF;
    private const uint MarkColour = 0x8E44ADFF;

    public static byte[] Render(string title, IReadOnlyList<SecondSample> series, IReadOnlyList<(double Second, string What)> marks)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(marks);
        var canvas = new Canvas(ChartWidth, ChartHeight);
        canvas.Text(Left, 8, Clip(title, 80), Axis, 2);

        var seconds = Math.Max(1, series.Count);
        var top = new Panel(Left, 66, ChartWidth - Left - Right, 260, seconds);
        var bottom = new Panel(Left, 400, ChartWidth - Left - Right, 260, seconds);

        var maxThroughput = series.Select(s => (double)s.Acknowledged).DefaultIfEmpty(0).Max();
        var maxErrors = series.Select(s => (double)s.Errors).DefaultIfEmpty(0).Max();
        top.Frame(canvas, Nice(Math.Max(Math.Max(maxThroughput, maxErrors), 1)), "DELIVERIES ACKNOWLEDGED PER SECOND");
        top.Plot(canvas, series.Select(s => (double)s.Acknowledged).ToList(), ThroughputColour);
        if (maxErrors > 0)
        {
            top.Plot(canvas, series.Select(s => (double)s.Errors).ToList(), ErrorColour);
        }

        var maxLatency = series.Select(s => s.P99Ms).DefaultIfEmpty(0).Max();
        bottom.Frame(canvas, Nice(Math.Max(maxLatency, 0.1)), "LATENCY PER SECOND (MS): P99 AND P50");
        bottom.Plot(canvas, series.Select(s => s.P99Ms).ToList(), P99Colour);
        bottom.Plot(canvas, series.Select(s => s.P50Ms).ToList(), P50Colour);

        foreach (var (second, what) in marks)
        {
            top.Mark(canvas, second, what);
            bottom.Mark(canvas, second, string.Empty);
        }

        var legendY = ChartHeight - 26;
        var x = Left;
        foreach (var (colour, label) in new[] { (ThroughputColour, "ACKED/S"), (ErrorColour, "FAILED ATTEMPTS/S"), (P99Colour, "P99"), (P50Colour, "P50"), (MarkColour, "FAULT") })
        {
            canvas.FillRect(x, legendY + 2, 18, 10, colour);
            canvas.Text(x + 24, legendY, label, Axis, 2);
            x += 24 + Canvas.TextWidth(label) + 30;
        }

        canvas.Text(ChartWidth - Right - Canvas.TextWidth("TIME (S)"), legendY, "TIME (S)", Axis, 2);
        return PngEncoder.Encode(canvas.Width, canvas.Height, canvas.Pixels);
    }

    /// <summary>The next 1, 2 or 5 × 10^k at or above <paramref name="value"/>.</summary>
    internal static double Nice(double value)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1.0, 2.0, 2.5, 5.0, 10.0 })
        {
            if (step * magnitude >= value)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..(length - 3)] + "...";

    private static string Format(double value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "K",
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 1 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private sealed class Panel(int x, int y, int width, int height, int seconds)
    {
        private double _max = 1;

        public void Frame(Canvas canvas, double max, string label)
        {
            _max = max;
            canvas.Text(x, y - 24, label, Axis, 2);
            const int Ticks = 5;
            for (var i = 0; i <= Ticks; i++)
            {
                var value = max * i / Ticks;
                var py = Y(value);
                canvas.Line(x, py, x + width, py, Grid);
                var text = Format(value);
                canvas.Text(x - 8 - Canvas.TextWidth(text), py - 7, text, Axis, 2);
            }

            var step = Nice(Math.Max(1, seconds / 10.0));
            for (double s = 0; s <= seconds; s += step)
            {
                var px = X(s);
                canvas.Line(px, y, px, y + height, Grid);
                canvas.Line(px, y + height, px, y + height + 5, Axis);
                var text = Format(s);
                canvas.Text(px - (Canvas.TextWidth(text) / 2), y + height + 10, text, Axis, 2);
            }

            canvas.Line(x, y, x, y + height, Axis, 2);
            canvas.Line(x, y + height, x + width, y + height, Axis, 2);
        }

        public void Plot(Canvas canvas, IReadOnlyList<double> values, uint colour)
        {
            for (var i = 1; i < values.Count; i++)
            {
                canvas.Line(X(i - 1 + 0.5), Y(values[i - 1]), X(i + 0.5), Y(values[i]), colour, 2);
            }

            if (values.Count == 1)
            {
                canvas.FillRect(X(0.5) - 2, Y(values[0]) - 2, 5, 5, colour);
            }
        }

        public void Mark(Canvas canvas, double second, string label)
        {
            var px = X(second);
            canvas.Line(px, y, px, y + height, MarkColour, 2, dash: 6);
            if (label.Length > 0)
            {
                canvas.Text(px + 6, y + 6, label.ToUpperInvariant(), MarkColour, 2);
            }
        }

        private int X(double second) => x + (int)Math.Round(second / seconds * width);

        private int Y(double value) => y + height - (int)Math.Round(Math.Clamp(value / _max, 0, 1.05) * height);
    }
}
