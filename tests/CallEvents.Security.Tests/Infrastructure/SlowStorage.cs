using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>In-memory grain storage whose writes for grains with "slow-" in their key take <see cref="WriteDelay"/>.</summary>
public sealed class SlowStorage(Serializer serializer) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly ConcurrentDictionary<(string, GrainId), byte[]> _rows = new();

    public TimeSpan WriteDelay { get; set; } = TimeSpan.FromSeconds(1);

    // It replaces a provider that takes part in the silo lifecycle, so it must too (it has nothing to start).
    public void Participate(ISiloLifecycle observer)
    {
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_rows.TryGetValue((stateName, grainId), out var row))
        {
            grainState.State = serializer.Deserialize<T>(row);
            grainState.ETag = "1";
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainId.Key.ToString()!.Contains("slow-", StringComparison.Ordinal))
        {
            await Task.Delay(WriteDelay);
        }

        _rows[(stateName, grainId)] = serializer.SerializeToArray(grainState.State);
        grainState.ETag = "1";
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _rows.TryRemove((stateName, grainId), out _);
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
