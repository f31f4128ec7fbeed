using System.Text.Json;
using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Reporting;

namespace CallEvents.LoadTest.Tests;

/// <summary>Latency as the run records it (HdrHistogram, microseconds) and as report.json carries it (milliseconds).</summary>
public sealed class HistogramTests
{
    /// <summary>The naming report.json uses (ReportWriter: web defaults, camelCase).</summary>
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Percentiles_are_within_a_tenth_of_a_percent_and_never_below_the_true_value()
    {
        var stats = new RunStats();
        stats.Start(0);
        for (var us = 1; us <= 100_000; us++)
        {
            stats.Acknowledge(us * 10L, duplicate: false);
        }

        var latency = LatencySummary.From(stats.Latency);

        foreach (var (reported, exactMs) in new[] { (latency.P50Ms, 50.0), (latency.P95Ms, 95.0), (latency.P99Ms, 99.0), (latency.P999Ms, 99.9), (latency.MaxMs, 100.0) })
        {
            Assert.InRange(reported, exactMs, exactMs * 1.001);
        }

        Assert.Equal(100_000, latency.Count);
        Assert.InRange(latency.MeanMs, 49.95, 50.05);
    }

    [Fact]
    public void An_empty_run_reports_zeros_and_an_absurd_latency_is_capped_instead_of_thrown()
    {
        var empty = new RunStats();
        Assert.Equal(new LatencySummary(0, 0, 0, 0, 0, 0, 0), LatencySummary.From(empty.Latency));

        var stats = new RunStats();
        stats.Start(0);
        stats.Acknowledge(TimeSpan.FromDays(2).Ticks, duplicate: false);
        Assert.InRange(LatencySummary.From(stats.Latency).MaxMs, 3_600_000, 3_600_000 * 1.001);
    }

    [Fact]
    public void The_report_keeps_its_latency_field_names_and_millisecond_units()
    {
        var stats = new RunStats();
        stats.Start(0);
        stats.Acknowledge(TimeSpan.FromMilliseconds(12).Ticks, duplicate: false);

        var json = JsonSerializer.SerializeToElement(LatencySummary.From(stats.Latency), Web);

        Assert.Equal(["count", "p50Ms", "p95Ms", "p99Ms", "p999Ms", "maxMs", "meanMs"], json.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.InRange(json.GetProperty("p99Ms").GetDouble(), 12, 12.012);
    }
}
