namespace CallEvents.Ingress;

/// <summary>
/// Whether this host is shutting down. Once set (when the host is asked to stop), the readiness check fails and the
/// webhook pipeline answers new deliveries 503 with <c>Retry-After</c>, so the provider retries them on another silo;
/// deliveries already past that point finish normally.
/// </summary>
public sealed class ServiceDrain
{
    private int _draining;

    /// <summary>True once shutdown began.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    /// <summary>Starts draining; later calls do nothing.</summary>
    public void Begin() => Interlocked.Exchange(ref _draining, 1);
}
