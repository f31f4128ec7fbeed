namespace CallEvents.LoadTest.Verification;

/// <summary>
/// The fields of a call or workflow snapshot the verdict checks, read from the grain API or the HTTP API.
/// Names are the snapshot's enum names (<c>PcaReady</c>, <c>Succeeded</c>); phases hold only the phases seen.
/// </summary>
public sealed record ObservedSnapshot
{
    public required string Status { get; init; }

    /// <summary>The call outcome; null for workflow executions.</summary>
    public string? Outcome { get; init; }

    public IReadOnlyDictionary<string, DateTimeOffset> Phases { get; init; } = new Dictionary<string, DateTimeOffset>();

    public IReadOnlyList<string> MissingPhases { get; init; } = [];

    public int EventCount { get; init; }

    public int DuplicateCount { get; init; }

    public int UnrecognizedCount { get; init; }

    public int NodeExecutions { get; init; }

    public string? LastNode { get; init; }

    public string? FailureReason { get; init; }

    public IReadOnlyList<string> Anomalies { get; init; } = [];

    /// <summary>
    /// Follow-up decisions <see cref="TallyFollowUpGrain"/> recorded for this key, per stream namespace; null when
    /// they cannot be observed (an external host, where the tally grain is not registered): then they are not checked.
    /// </summary>
    public IReadOnlyDictionary<string, int>? Decisions { get; init; }

    /// <summary>Distinct emission ids among those decisions (one decision per emission: equal to their total).</summary>
    public int DecidedEmissions { get; init; }
}

/// <summary>What the snapshot must say for a given set of stored events, derived from the generator's model.</summary>
public sealed record ExpectedSnapshot
{
    public required string Status { get; init; }

    public string? Outcome { get; init; }

    public required IReadOnlyDictionary<string, DateTimeOffset> Phases { get; init; }

    public required IReadOnlyList<string> MissingPhases { get; init; }

    public required int EventCount { get; init; }

    public int NodeExecutions { get; init; }

    public string? LastNode { get; init; }

    public string? FailureReason { get; init; }

    /// <summary>Follow-up decisions per stream namespace: one per emission, and exactly one emission per milestone.</summary>
    public IReadOnlyDictionary<string, int> Decisions { get; init; } = new Dictionary<string, int>();
}
