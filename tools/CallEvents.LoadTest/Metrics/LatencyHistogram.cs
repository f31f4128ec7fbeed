using System.Numerics;

namespace CallEvents.LoadTest.Metrics;

/// <summary>
/// A thread-safe HDR-style histogram of microsecond values: exact below 256 µs, then 128 linear sub-buckets per
/// power of two (at most 0.8 % relative error), up to about 2^40 µs. Percentiles report the upper edge of the
/// bucket (never flattering); the maximum is exact.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int LinearLimit = SubBuckets * 2;
    private const int MaxMagnitude = 40;

    private readonly long[] _counts = new long[LinearLimit + ((MaxMagnitude - SubBucketBits) * SubBuckets)];
    private long _total;
    private long _max;
    private long _sum;

    public long Count => Interlocked.Read(ref _total);

    public long MaxMicroseconds => Interlocked.Read(ref _max);

    public double MeanMicroseconds => Count == 0 ? 0 : (double)Interlocked.Read(ref _sum) / Count;

    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        Interlocked.Increment(ref _counts[IndexOf(value)]);
        Interlocked.Increment(ref _total);
        Interlocked.Add(ref _sum, value);
        long max;
        while (value > (max = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, value, max) != max)
        {
        }
    }

    /// <summary>The value at <paramref name="percentile"/> (0..100) in microseconds; 0 when empty.</summary>
    public long Percentile(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(percentile / 100.0 * total);
        rank = Math.Clamp(rank, 1, total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(UpperEdge(i), MaxMicroseconds);
            }
        }

        return MaxMicroseconds;
    }

    /// <summary>Adds another histogram's counts to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            var c = Interlocked.Read(ref other._counts[i]);
            if (c != 0)
            {
                Interlocked.Add(ref _counts[i], c);
            }
        }

        Interlocked.Add(ref _total, other.Count);
        Interlocked.Add(ref _sum, Interlocked.Read(ref other._sum));
        var theirs = other.MaxMicroseconds;
        long max;
        while (theirs > (max = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, theirs, max) != max)
        {
        }
    }

    internal static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        var magnitude = 63 - BitOperations.LeadingZeroCount((ulong)value);
        if (magnitude >= MaxMagnitude)
        {
            magnitude = MaxMagnitude - 1;
            value = (1L << MaxMagnitude) - 1;
        }

        var sub = (int)((value >> (magnitude - SubBucketBits)) & (SubBuckets - 1));
        return LinearLimit + ((magnitude - SubBucketBits - 1) * SubBuckets) + sub;
    }

    internal static long UpperEdge(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var offset = index - LinearLimit;
        var magnitude = (offset / SubBuckets) + SubBucketBits + 1;
        var sub = offset % SubBuckets;
        var width = 1L << (magnitude - SubBucketBits);
        return (1L << magnitude) + ((sub + 1) * width) - 1;
    }
}
