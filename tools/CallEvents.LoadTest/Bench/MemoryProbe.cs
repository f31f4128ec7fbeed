using System.Diagnostics;
using System.Runtime;
using CallEvents.LoadTest.Reporting;
using CallEvents.LoadTest.Running;
using CallEvents.LoadTest.Targets;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Bench;

/// <summary>
/// Embedded mode's memory per stored call: 10,000 calls ingested through the grain API of a one-silo memory cluster,
/// then every grain deactivated (as happens to idle ones) and a full compacting collection; what stays is the journal
/// (records and raw bodies), the entity index and due times. Reported as resident memory and managed heap per call.
/// </summary>
public static class MemoryProbe
{
    private const int Calls = 10_000;

    public static async Task<MemoryReport> MeasureAsync(CommandLine cli, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(log);
        await log.WriteLineAsync("embedded memory: 10,000 calls into a one-silo memory cluster, then idle...");
        await using var cluster = await GrainCluster.StartAsync(1, null);
        var (rssBefore, heapBefore) = Settle();
        var workload = new WorkloadOptions { Calls = Calls, Workflows = 0, DuplicateRate = 0, Seed = cli.Workload.Seed + 7 };
        var shape = new LoadShape { Concurrency = 64, Progress = false };
        var driven = await Modes.DriveAsync("embedded memory (not a throughput figure)", new GrainTarget(() => cluster.Factories, cli.Timeout), null, workload, shape, cli with { Verify = false }, "memory", 1, log, cancellationToken);
        var stored = driven.Generator.Entities.Count;

        // Idle: every activation collected, as the silo does with idle grains after its collection age.
        var management = cluster.Factories[0].GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero, cancellationToken);
        var (rssAfter, heapAfter) = Settle();
        return new MemoryReport(stored, driven.Report.Acknowledged, rssAfter - rssBefore, heapAfter - heapBefore, (double)(rssAfter - rssBefore) / stored, (double)(heapAfter - heapBefore) / stored);
    }

    private static (long Resident, long Heap) Settle()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (process.WorkingSet64, GC.GetTotalMemory(forceFullCollection: false));
    }
}
