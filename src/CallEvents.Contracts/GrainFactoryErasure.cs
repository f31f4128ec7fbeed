namespace CallEvents;

/// <summary>Erasure of a call or workflow execution together with what its follow-ups hold about it.</summary>
public static class GrainFactoryErasure
{
    /// <summary>
    /// Erases the call <paramref name="key"/> and then every follow-up's records for it (the call first, so nothing is
    /// republished to a follow-up after the follow-up was erased). False when the call is unknown.
    /// </summary>
    public static Task<bool> EraseCallAsync(this IGrainFactory grains, FollowUpRegistry registry, string key) =>
        EraseAsync(grains, registry, key, () => grains.GetGrain<ICallGrain>(key).EraseAsync());

    /// <summary>Erases the workflow execution <paramref name="key"/> and its follow-ups' records; false when unknown.</summary>
    public static Task<bool> EraseWorkflowAsync(this IGrainFactory grains, FollowUpRegistry registry, string key) =>
        EraseAsync(grains, registry, key, () => grains.GetGrain<IWorkflowExecutionGrain>(key).EraseAsync());

    private static async Task<bool> EraseAsync(IGrainFactory grains, FollowUpRegistry registry, string key, Func<Task<bool>> eraseEntity)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (!await eraseEntity())
        {
            return false;
        }

        // Every registered follow-up, consuming now or not: one may hold actions scheduled under earlier settings.
        await Task.WhenAll(registry.Registered.Select(c => grains.GetGrain<IFollowUpGrain>(key, c).EraseAsync()));
        return true;
    }
}
