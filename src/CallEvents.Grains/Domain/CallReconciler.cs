using System.Collections.Immutable;
using System.Globalization;

namespace CallEvents.Domain;

/// <summary>
/// The reconciliation rules for calls (docs/design.md), as a pure function from the set of accepted events to a
/// snapshot. Nothing here reads arrival order, so any permutation of the same events (rule 2) yields the same
/// snapshot; duplicates never reach it (the grain drops them by key). It runs on every event, so it makes one pass
/// over the events and keeps, per phase and per field, only what the rules need.
/// </summary>
public static class CallReconciler
{
    private static readonly ImmutableArray<CallPhase> VerbexPhases = [CallPhase.Started, CallPhase.Ended, CallPhase.PcaReady];
    private static readonly ImmutableArray<CallPhase> SubVersePhases = [CallPhase.Queued, CallPhase.Placed, CallPhase.Ended, CallPhase.PcaReady];

    /// <summary>The phases an event puts the call in (call.completed with an analysis is both Ended and PcaReady).</summary>
    public static IEnumerable<CallPhase> PhasesOf(IncomingEvent e)
    {
        var mask = MaskOf(e);
        return Enum.GetValues<CallPhase>().Where(p => p != CallPhase.None && (mask & Bit(p)) != 0);
    }

    /// <summary>Whether the event puts the call in <paramref name="phase"/>.</summary>
    public static bool Sets(IncomingEvent e, CallPhase phase) => (MaskOf(e) & Bit(phase)) != 0;

    /// <summary>The highest rank among the phases an event sets (0 for events that set none).</summary>
    public static int RankOf(IncomingEvent e)
    {
        var mask = MaskOf(e);
        return (mask & Bit(CallPhase.PcaReady)) != 0 ? 5
            : (mask & (Bit(CallPhase.Ended) | Bit(CallPhase.Failed))) != 0 ? 4
            : (mask & Bit(CallPhase.Started)) != 0 ? 3
            : (mask & Bit(CallPhase.Placed)) != 0 ? 2
            : (mask & Bit(CallPhase.Queued)) != 0 ? 1
            : 0;
    }

    /// <summary>Reconciles the accepted events of one call into its snapshot.</summary>
    public static CallSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount)
    {
        ArgumentNullException.ThrowIfNull(events);
        var (source, callId) = GrainKeys.Split(key);
        var seen = 0;
        var earliest = new DateTimeOffset?[(int)CallPhase.Failed + 1];
        DateTimeOffset? latestSuccessTime = null;
        DateTimeOffset? latestFailureTime = null;
        IncomingEvent? latestFailure = null;
        IncomingEvent? latestPca = null;
        var known = 0;
        var firstReceived = DateTimeOffset.MaxValue;
        var lastReceived = DateTimeOffset.MinValue;
        Latest agentId = default, agentName = default, organization = default, customerNumber = default, direction = default;
        Distinct agents = default, organizations = default;

        foreach (var e in events)
        {
            firstReceived = e.ReceivedAt < firstReceived ? e.ReceivedAt : firstReceived;
            lastReceived = e.ReceivedAt > lastReceived ? e.ReceivedAt : lastReceived;
            if (e.Type == NormalizedEventType.Unknown)
            {
                continue;
            }

            known++;
            var mask = MaskOf(e);
            seen |= mask;
            for (var phase = CallPhase.Queued; phase <= CallPhase.Failed; phase++)
            {
                // Rule 1: a phase's time is its earliest event's (unknown provider times do not count).
                if ((mask & Bit(phase)) != 0 && e.ProviderTime is { } time && (earliest[(int)phase] is not { } current || time < current))
                {
                    earliest[(int)phase] = time;
                }
            }

            if ((mask & (Bit(CallPhase.Ended) | Bit(CallPhase.PcaReady))) != 0)
            {
                latestSuccessTime = Max(latestSuccessTime, e.ProviderTime);
            }

            if ((mask & Bit(CallPhase.Failed)) != 0)
            {
                latestFailureTime = Max(latestFailureTime, e.ProviderTime);
                latestFailure = Later(latestFailure, e);
            }

            if ((mask & Bit(CallPhase.PcaReady)) != 0)
            {
                latestPca = Later(latestPca, e);
            }

            agentId.Offer(e, e.AgentId);
            agentName.Offer(e, e.AgentName);
            organization.Offer(e, e.OrganizationId);
            customerNumber.Offer(e, e.CustomerNumber);
            direction.Offer(e, e.CallDirection);
            agents.Add(e.AgentId);
            organizations.Add(e.OrganizationId);
        }

        var succeeded = (seen & (Bit(CallPhase.Ended) | Bit(CallPhase.PcaReady))) != 0;
        var anomalies = new List<Anomaly>(0);

        // Rule 4: with success and failure both seen, the later provider time decides (ties: success).
        var outcome = CallOutcome.None;
        if (succeeded && latestFailure is not null)
        {
            var failureWins = EventOrdering.FailureWins(latestSuccessTime, latestFailureTime);
            anomalies.Add(new Anomaly(
                AnomalyCodes.ConflictingTerminals,
                string.Create(CultureInfo.InvariantCulture, $"success at {Format(latestSuccessTime)} and {latestFailure.EventName} at {Format(latestFailureTime)}; {(failureWins ? "failure" : "success")} has the later provider time")));
            outcome = failureWins ? FailureOutcome(latestFailure) : CallOutcome.Succeeded;
        }
        else if (succeeded)
        {
            outcome = CallOutcome.Succeeded;
        }
        else if (latestFailure is not null)
        {
            outcome = FailureOutcome(latestFailure);
        }

        agents.Report(anomalies, AnomalyCodes.AgentMismatch, "agents");
        organizations.Report(anomalies, AnomalyCodes.OrganizationMismatch, "organizations");
        anomalies.Sort((a, b) => string.CompareOrdinal(a.Code, b.Code));

        return new CallSnapshot
        {
            Key = key,
            Source = source,
            CallId = callId,
            Status = StatusOf(seen, outcome),
            Outcome = outcome,
            Phases = new CallPhaseTimes
            {
                Queued = earliest[(int)CallPhase.Queued],
                Placed = earliest[(int)CallPhase.Placed],
                Started = earliest[(int)CallPhase.Started],
                Ended = earliest[(int)CallPhase.Ended],
                PcaReady = earliest[(int)CallPhase.PcaReady],
                Failed = earliest[(int)CallPhase.Failed],
            },
            MissingPhases = MissingPhases(source, seen),
            Anomalies = [.. anomalies],
            FailureReason = outcome is not (CallOutcome.None or CallOutcome.Succeeded) ? latestFailure!.Reason ?? latestFailure.ProviderStatus : null,
            AgentId = agentId.Value,
            AgentName = agentName.Value,
            OrganizationId = organization.Value,
            CustomerNumber = customerNumber.Value,
            CallDirection = direction.Value,
            Pca = latestPca is null ? null : new PcaInfo
            {
                Status = latestPca.Type == NormalizedEventType.PcaCompleted ? latestPca.ProviderStatus : null,
                Reason = latestPca.Type == NormalizedEventType.PcaCompleted ? latestPca.Reason : null,
                CompletedAt = latestPca.PcaCompletedAt ?? latestPca.ProviderTime,
                Analysis = latestPca.Analysis,
            },
            EventCount = events.Count,
            DuplicateCount = duplicateCount,
            UnrecognizedCount = events.Count - known,
            FirstReceivedAt = events.Count == 0 ? default : firstReceived,
            LastReceivedAt = events.Count == 0 ? default : lastReceived,
        };
    }

    private static int Bit(CallPhase phase) => 1 << (int)phase;

    private static int MaskOf(IncomingEvent e) => e.Type switch
    {
        NormalizedEventType.CallQueued => Bit(CallPhase.Queued),
        NormalizedEventType.CallPlaced => Bit(CallPhase.Placed),
        NormalizedEventType.CallStarted => Bit(CallPhase.Started),
        NormalizedEventType.CallEnded => Bit(CallPhase.Ended),
        NormalizedEventType.CallCompleted => Bit(CallPhase.Ended) | (e.Analysis is not null ? Bit(CallPhase.PcaReady) : 0),
        NormalizedEventType.PcaCompleted => Bit(CallPhase.PcaReady),
        NormalizedEventType.CallErrored or NormalizedEventType.CallCanceled or NormalizedEventType.CallExpired => Bit(CallPhase.Failed),
        _ => 0,
    };

    private static CallPhase StatusOf(int seen, CallOutcome outcome)
    {
        if ((seen & Bit(CallPhase.PcaReady)) != 0)
        {
            return CallPhase.PcaReady;
        }

        // Ended and Failed share rank 4: with both seen, the status follows the terminal outcome (rule 4).
        var ended = (seen & Bit(CallPhase.Ended)) != 0;
        var failed = (seen & Bit(CallPhase.Failed)) != 0;
        if (ended || failed)
        {
            return ended && (!failed || outcome is CallOutcome.Succeeded) ? CallPhase.Ended : CallPhase.Failed;
        }

        return (seen & Bit(CallPhase.Started)) != 0 ? CallPhase.Started
            : (seen & Bit(CallPhase.Placed)) != 0 ? CallPhase.Placed
            : (seen & Bit(CallPhase.Queued)) != 0 ? CallPhase.Queued
            : CallPhase.None;
    }

    private static ImmutableArray<CallPhase> MissingPhases(string source, int seen)
    {
        // Rule 3. A failure can happen at any stage, so it implies no earlier phase; success phases imply the ones below.
        var topSuccess = 0;
        for (var phase = CallPhase.Queued; phase <= CallPhase.PcaReady; phase++)
        {
            topSuccess = (seen & Bit(phase)) != 0 ? Math.Max(topSuccess, PhaseRanks.Of(phase)) : topSuccess;
        }

        var expected = source == EventSources.SubVerse ? SubVersePhases : VerbexPhases;
        var missing = ImmutableArray.CreateBuilder<CallPhase>(0);
        foreach (var phase in expected)
        {
            if (PhaseRanks.Of(phase) < topSuccess && (seen & Bit(phase)) == 0)
            {
                missing.Add(phase);
            }
        }

        return missing.DrainToImmutable();
    }

    private static IncomingEvent Later(IncomingEvent? current, IncomingEvent candidate) =>
        current is null || EventOrdering.Compare(candidate, current) > 0 ? candidate : current;

    private static DateTimeOffset? Max(DateTimeOffset? current, DateTimeOffset? candidate) =>
        Nullable.Compare(candidate, current) > 0 ? candidate : current;

    private static CallOutcome FailureOutcome(IncomingEvent failure) => failure.Type switch
    {
        NormalizedEventType.CallCanceled => CallOutcome.Canceled,
        NormalizedEventType.CallExpired => CallOutcome.Expired,
        _ => CallOutcome.Errored,
    };

    internal static string Format(DateTimeOffset? time) =>
        time?.ToString("O", CultureInfo.InvariantCulture) ?? "an unknown time";

    /// <summary>A field's value from the latest event (by <see cref="EventOrdering"/>) that carries it.</summary>
    internal struct Latest
    {
        private IncomingEvent? _from;

        public string? Value { get; private set; }

        public void Offer(IncomingEvent e, string? value)
        {
            if (value is not null && (_from is null || EventOrdering.Compare(e, _from) > 0))
            {
                _from = e;
                Value = value;
            }
        }
    }

    /// <summary>The distinct values a field takes across events; more than one is an anomaly.</summary>
    internal struct Distinct
    {
        private string? _first;
        private SortedSet<string>? _all;

        public void Add(string? value)
        {
            if (value is null || string.Equals(value, _first, StringComparison.Ordinal))
            {
                return;
            }

            if (_first is null)
            {
                _first = value;
                return;
            }

            _all ??= new SortedSet<string>(StringComparer.Ordinal) { _first };
            _all.Add(value);
        }

        public readonly void Report(List<Anomaly> anomalies, string code, string what)
        {
            if (_all is { Count: > 1 })
            {
                anomalies.Add(new Anomaly(code, $"events name different {what}: {string.Join(", ", _all)}"));
            }
        }
    }
}
