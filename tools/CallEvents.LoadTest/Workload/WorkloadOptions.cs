namespace CallEvents.LoadTest.Workload;

/// <summary>What traffic to make: how many entities of which kind, and how badly to deliver it.</summary>
public sealed record WorkloadOptions
{
    /// <summary>Calls to create (0 with a duration: unbounded).</summary>
    public long Calls { get; init; } = 20_000;

    /// <summary>Workflow executions to create.</summary>
    public long Workflows { get; init; } = 2_000;

    /// <summary><c>workflow.node_execution</c> events per execution.</summary>
    public int NodesPerWorkflow { get; init; } = 3;

    /// <summary>Share of calls that are Verbex (the rest are SubVerse).</summary>
    public double VerbexShare { get; init; } = 0.5;

    /// <summary>Share of SubVerse calls that fail (errored, canceled or expired) instead of completing.</summary>
    public double FailureRate { get; init; } = 0.1;

    /// <summary>Probability that a distinct event is redelivered (same bytes); a tenth of those twice.</summary>
    public double DuplicateRate { get; init; } = 0.1;

    /// <summary>Share of entities whose deliveries are shuffled (the rest go in provider order).</summary>
    public double ShuffleShare { get; init; } = 1.0;

    /// <summary>Largest random provider-side delay before a delivery, in milliseconds.</summary>
    public int MaxDelayMs { get; init; }

    /// <summary>Entities in progress at once; deliveries are interleaved across them.</summary>
    public int Window { get; init; } = 2_000;

    /// <summary>Stop after this many deliveries (0: no cap).</summary>
    public long MaxDeliveries { get; init; }

    /// <summary>Keep creating entities without a count limit (duration-bounded runs).</summary>
    public bool Unbounded { get; init; }

    public int Seed { get; init; } = 42;
}
