using CallEvents.LoadTest.Metrics;

namespace CallEvents.LoadTest.Tests;

public sealed class HistogramTests
{
    [Fact]
    public void Percentiles_are_within_one_percent_and_never_below_the_true_value()
    {
        var histogram = new LatencyHistogram();
        for (var us = 1; us <= 100_000; us++)
        {
            histogram.Record(us);
        }

        foreach (var (percentile, exact) in new[] { (50.0, 50_000L), (95.0, 95_000L), (99.0, 99_000L), (99.9, 99_900L) })
        {
            var reported = histogram.Percentile(percentile);
            Assert.InRange(reported, exact, (long)(exact * 1.01));
        }

        Assert.Equal(100_000, histogram.MaxMicroseconds);
        Assert.Equal(100_000, histogram.Percentile(100));
        Assert.Equal(100_000, histogram.Count);
    }
}
