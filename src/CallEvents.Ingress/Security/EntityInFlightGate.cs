using Microsoft.Extensions.Options;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Bounds the deliveries for one grain (call or workflow execution) in flight on this silo. A grain handles one
/// delivery at a time, so extra concurrent deliveries only queue behind it, hold connections and memory, and time
/// out anyway; refusing them early (503, retried by the provider) keeps one hot call from starving the others.
/// </summary>
internal sealed class EntityInFlightGate(IOptions<SecurityOptions> options)
{
    private readonly Dictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Takes a slot for <paramref name="key"/>, or returns null when it already has the maximum in flight.</summary>
    public Slot? TryEnter(string key)
    {
        lock (_gate)
        {
            var count = _inFlight.GetValueOrDefault(key);
            if (count >= options.Value.Limits.MaxConcurrentPerEntity)
            {
                return null;
            }

            _inFlight[key] = count + 1;
        }

        return new Slot(this, key);
    }

    /// <summary>Keys with deliveries in flight (the dictionary never outgrows the requests in progress).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    private void Leave(string key)
    {
        lock (_gate)
        {
            var count = _inFlight[key] - 1;
            if (count == 0)
            {
                _inFlight.Remove(key);
            }
            else
            {
                _inFlight[key] = count;
            }
        }
    }

    /// <summary>A held slot; disposing it releases the slot once.</summary>
    public sealed class Slot(EntityInFlightGate gate, string key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Leave(key);
            }
        }
    }
}
