using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Storage;

namespace CallEvents.LoadTest.Targets;

/// <summary>
/// Profiling only (<c>--storage null</c>): grain storage that stores nothing, to measure what the grains cost
/// without the memory storage provider's own grain calls. Never a configuration to quote as "the service".
/// </summary>
internal sealed class NullGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private long _etag;

    // It replaces the memory provider, which takes part in the silo lifecycle, so it must too (it has nothing to start).
    public void Participate(ISiloLifecycle observer)
    {
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Task.CompletedTask;

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        grainState.ETag = Interlocked.Increment(ref _etag).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}

/// <summary>
/// Profiling only (<c>--reminders local</c>): a reminder table in a process-wide dictionary shared by the
/// in-process silos, instead of Orleans' in-memory table, which is one grain every registration goes through.
/// </summary>
internal sealed class LocalReminderTable : IReminderTable
{
    public static readonly LocalReminderTable Shared = new();

    private readonly ConcurrentDictionary<(GrainId, string), ReminderEntry> _rows = new();
    private long _etag;

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        Task.FromResult(new ReminderTableData(_rows.Values.Where(r => r.GrainId == grainId).ToList()));

    public Task<ReminderTableData> ReadRows(uint begin, uint end) =>
        Task.FromResult(new ReminderTableData(_rows.Values.Where(r => InRange(r.GrainId.GetUniformHashCode(), begin, end)).ToList()));

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        Task.FromResult(_rows.TryGetValue((grainId, reminderName), out var row) ? row : null);

    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        entry.ETag = Interlocked.Increment(ref _etag).ToString(CultureInfo.InvariantCulture);
        _rows[(entry.GrainId, entry.ReminderName)] = entry;
        return Task.FromResult<string?>(entry.ETag);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        Task.FromResult(_rows.TryGetValue((grainId, reminderName), out var row) && row.ETag == eTag && _rows.TryRemove((grainId, reminderName), out _));

    public Task TestOnlyClearTable()
    {
        _rows.Clear();
        return Task.CompletedTask;
    }

    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;
}
