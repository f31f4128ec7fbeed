using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Targets;

/// <summary>What one attempt at a delivery came to.</summary>
public enum AttemptOutcome
{
    /// <summary>2xx: stored (or already stored).</summary>
    Acknowledged,

    /// <summary>The outcome is unknown (timeout, 5xx, connection lost): retry; the event may already be stored.</summary>
    RetryUncertain,

    /// <summary>Refused before any processing (429): retry; nothing was stored.</summary>
    RetryNotProcessed,

    /// <summary>A final refusal (4xx other than 408/429): a provider would not retry.</summary>
    Rejected,
}

/// <summary>The result of one attempt; <see cref="Kind"/> names the error (HTTP status or exception type).</summary>
public readonly record struct AttemptResult(AttemptOutcome Outcome, string Kind, bool Duplicate = false)
{
    public static AttemptResult Ack(bool duplicate) => new(AttemptOutcome.Acknowledged, "ok", duplicate);
}

/// <summary>Where deliveries go and snapshots come from: the grain API of a cluster, or HTTP.</summary>
public interface IDeliveryTarget
{
    string Description { get; }

    Task<AttemptResult> SendAsync(Delivery delivery, CancellationToken cancellationToken);

    /// <summary>The entity's snapshot, or null when the service has no such entity.</summary>
    Task<ObservedSnapshot?> ReadAsync(EntityModel entity, CancellationToken cancellationToken);
}

/// <summary>Kills a silo mid-run and starts a replacement.</summary>
public interface IFaultInjector
{
    /// <summary>Kills a non-primary silo and starts a replacement; returns what was done, for the report.</summary>
    Task<string> KillAndReplaceAsync(CancellationToken cancellationToken);
}
