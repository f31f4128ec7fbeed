using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// In-memory grain storage with switchable faults (writes fail, or take longer than the ingress deadline),
/// standing in for a database outage in the embedded host. State is kept serialized, like a real store.
/// The PostgreSQL outage tests stop a real server instead.
/// </summary>
public sealed class SwitchableStorage(Serializer serializer) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    // It replaces a provider that takes part in the silo lifecycle, so it must too (it has nothing to start).
    public void Participate(ISiloLifecycle observer)
    {
    }

    private readonly ConcurrentDictionary<(string, GrainId), (byte[] Data, string ETag)> _rows = new();
    private long _etag;

    private volatile bool _failWrites;
    private int _writes;

    public bool FailWrites
    {
        get => _failWrites;
        set => _failWrites = value;
    }

    public TimeSpan WriteDelay { get; set; }

    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Whether any stored row belongs to a grain whose key contains <paramref name="text"/>.</summary>
    public bool HoldsAnyKeyContaining(string text) => _rows.Keys.Any(k => k.Item2.Key.ToString()!.Contains(text, StringComparison.Ordinal));

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_rows.TryGetValue((stateName, grainId), out var row))
        {
            grainState.State = serializer.Deserialize<T>(row.Data);
            grainState.ETag = row.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (WriteDelay > TimeSpan.Zero)
        {
            await Task.Delay(WriteDelay);
        }

        if (FailWrites)
        {
            throw new InvalidOperationException("storage is switched off for this test");
        }

        var key = (stateName, grainId);
        if (_rows.TryGetValue(key, out var existing) && existing.ETag != grainState.ETag)
        {
            throw new InconsistentStateException("etag mismatch", existing.ETag, grainState.ETag ?? "");
        }

        var etag = Interlocked.Increment(ref _etag).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _rows[key] = (serializer.SerializeToArray(grainState.State), etag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        Interlocked.Increment(ref _writes);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _rows.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
