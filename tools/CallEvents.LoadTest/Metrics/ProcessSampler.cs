using System.Diagnostics;

namespace CallEvents.LoadTest.Metrics;

/// <summary>One second of this process: CPU used (100 = one core), GC collections and pause, managed heap size.</summary>
public sealed record ProcessSample(int Second, double CpuPercent, double MachineCpuPercent, int Gen0, int Gen1, int Gen2, double GcPauseMs, double HeapMiB, int ThreadPoolThreads, long ThreadPoolQueue);

/// <summary>What the process did over a run: the evidence for "CPU-bound" or "GC-bound".</summary>
public sealed record ProcessSummary(double CpuPercentAverage, double MachineCpuPercentAverage, int Gen0, int Gen1, int Gen2, double GcPauseMs, double GcPausePercent, double AllocatedMiB, double PeakHeapMiB, IReadOnlyList<ProcessSample> Samples);

/// <summary>Samples CPU, GC and thread-pool figures of this process once per second.</summary>
public sealed class ProcessSampler : IAsyncDisposable
{
    private readonly List<ProcessSample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _allocatedStart = GC.GetTotalAllocatedBytes();
    private readonly int[] _gcStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private readonly TimeSpan _pauseStart = GC.GetTotalPauseDuration();
    private readonly (long Busy, long Total) _machineStart = MachineTicks();
    private readonly Task _loop;

    public ProcessSampler() => _loop = LoopAsync();

    public async Task<ProcessSummary> StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        var elapsed = _clock.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
        var pause = GC.GetTotalPauseDuration() - _pauseStart;
        List<ProcessSample> samples;
        lock (_samples)
        {
            samples = [.. _samples];
        }

        var machine = MachineTicks();
        return new ProcessSummary(
            elapsed.TotalSeconds <= 0 ? 0 : 100 * cpu.TotalSeconds / elapsed.TotalSeconds,
            MachinePercent(_machineStart, machine),
            GC.CollectionCount(0) - _gcStart[0],
            GC.CollectionCount(1) - _gcStart[1],
            GC.CollectionCount(2) - _gcStart[2],
            pause.TotalMilliseconds,
            elapsed.TotalMilliseconds <= 0 ? 0 : 100 * pause.TotalMilliseconds / elapsed.TotalMilliseconds,
            (GC.GetTotalAllocatedBytes() - _allocatedStart) / (1024.0 * 1024),
            samples.Select(s => s.HeapMiB).DefaultIfEmpty(GC.GetTotalMemory(false) / (1024.0 * 1024)).Max(),
            samples);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    /// <summary>Busy and total jiffies of all CPUs from /proc/stat (zeros where it does not exist).</summary>
    private static (long Busy, long Total) MachineTicks()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var total = fields.Sum();
            var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
            return (total - idle, total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return (0, 0);
        }
    }

    /// <summary>Machine CPU busy between two readings, 100 = one core (like the process figure).</summary>
    private static double MachinePercent((long Busy, long Total) from, (long Busy, long Total) to) =>
        to.Total - from.Total <= 0 ? 0 : 100.0 * Environment.ProcessorCount * (to.Busy - from.Busy) / (to.Total - from.Total);

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var lastPause = GC.GetTotalPauseDuration();
        int[] last = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var lastTime = _clock.Elapsed;
        var lastMachine = MachineTicks();
        var second = 0;
        while (await timer.WaitForNextTickAsync(_stop.Token))
        {
            var now = _clock.Elapsed;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var pause = GC.GetTotalPauseDuration();
            int[] counts = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var machine = MachineTicks();
            var sample = new ProcessSample(
                second++,
                100 * (cpu - lastCpu).TotalSeconds / (now - lastTime).TotalSeconds,
                MachinePercent(lastMachine, machine),
                counts[0] - last[0],
                counts[1] - last[1],
                counts[2] - last[2],
                (pause - lastPause).TotalMilliseconds,
                GC.GetTotalMemory(false) / (1024.0 * 1024),
                ThreadPool.ThreadCount,
                ThreadPool.PendingWorkItemCount);
            lock (_samples)
            {
                _samples.Add(sample);
            }

            (lastCpu, lastPause, last, lastTime, lastMachine) = (cpu, pause, counts, now, machine);
        }
    }
}
