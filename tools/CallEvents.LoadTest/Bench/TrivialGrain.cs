using System.Diagnostics;

namespace CallEvents.LoadTest.Bench;

/// <summary>The ceiling subject: a grain that does nothing but count, on the same silo as the real grains.</summary>
public interface ITrivialGrain : IGrainWithStringKey
{
    Task<int> PingAsync();
}

/// <inheritdoc cref="ITrivialGrain"/>
public sealed class TrivialGrain : Grain, ITrivialGrain
{
    private int _calls;

    public Task<int> PingAsync() => Task.FromResult(++_calls);
}

/// <summary>
/// What the silo does with no work in the grain: closed-loop calls to <see cref="ITrivialGrain"/>, a new activation every
/// four calls (about what a call's events are), so activation cost is in the ceiling as it is in the real workload.
/// </summary>
public static class TrivialCeiling
{
    public static async Task<double> MeasureAsync(IGrainFactory grains, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        long next = 0;
        long done = 0;
        var run = Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(
            async () =>
            {
                while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
                {
                    var call = Interlocked.Increment(ref next);
                    await grains.GetGrain<ITrivialGrain>($"{run}/{call / 4}").PingAsync();
                    Interlocked.Increment(ref done);
                }
            },
            cancellationToken)));
        return Interlocked.Read(ref done) / clock.Elapsed.TotalSeconds;
    }
}
