using System.Collections.Immutable;
using System.Globalization;

namespace CallEvents.Domain;

/// <summary>
/// Design §3 for calls, as a pure function from the set of accepted events to a snapshot.
/// Nothing here reads arrival order, so any permutation of the same events (rule 2) yields the same
/// snapshot; duplicates never reach it (the grain drops them by key).
/// </summary>
public static class CallReconciler
{
    private static readonly ImmutableArray<CallPhase> VerbexPhases = [CallPhase.Started, CallPhase.Ended, CallPhase.PcaReady];
    private static readonly ImmutableArray<CallPhase> SubVersePhases = [CallPhase.Queued, CallPhase.Placed, CallPhase.Ended, CallPhase.PcaReady];

    /// <summary>The phases an event puts the call in (call.completed with an analysis is both Ended and PcaReady).</summary>
    public static IEnumerable<CallPhase> PhasesOf(IncomingEvent e)
    {
        switch (e.Type)
        {
            case NormalizedEventType.CallQueued:
                yield return CallPhase.Queued;
                break;
            case NormalizedEventType.CallPlaced:
                yield return CallPhase.Placed;
                break;
            case NormalizedEventType.CallStarted:
                yield return CallPhase.Started;
                break;
            case NormalizedEventType.CallEnded:
                yield return CallPhase.Ended;
                break;
            case NormalizedEventType.CallCompleted:
                yield return CallPhase.Ended;
                if (e.Analysis is not null)
                {
                    yield return CallPhase.PcaReady;
                }

                break;
            case NormalizedEventType.PcaCompleted:
                yield return CallPhase.PcaReady;
                break;
            case NormalizedEventType.CallErrored or NormalizedEventType.CallCanceled or NormalizedEventType.CallExpired:
                yield return CallPhase.Failed;
                break;
            default:
                break;
        }
    }

    /// <summary>The highest rank among the phases an event sets (0 for events that set none).</summary>
    public static int RankOf(IncomingEvent e) => PhasesOf(e).Select(PhaseRanks.Of).DefaultIfEmpty(0).Max();

    /// <summary>Reconciles the accepted events of one call into its snapshot.</summary>
    public static CallSnapshot Reconcile(string key, IReadOnlyCollection<IncomingEvent> events, int duplicateCount)
    {
        ArgumentNullException.ThrowIfNull(events);
        var (source, callId) = GrainKeys.Split(key);
        var known = events.Where(e => e.Type != NormalizedEventType.Unknown).ToList();
        var byPhase = known
            .SelectMany(e => PhasesOf(e).Select(p => (Phase: p, Event: e)))
            .GroupBy(x => x.Phase, x => x.Event)
            .ToDictionary(g => g.Key, g => g.ToList());

        var seen = byPhase.Keys.ToHashSet();
        var successEvents = known.Where(e => PhasesOf(e).Any(p => p is CallPhase.Ended or CallPhase.PcaReady)).ToList();
        var failureEvents = byPhase.GetValueOrDefault(CallPhase.Failed) ?? [];
        var anomalies = new List<Anomaly>();

        var outcome = CallOutcome.None;
        string? failureReason = null;
        var latestFailure = EventOrdering.Latest(failureEvents);
        if (successEvents.Count > 0 && latestFailure is not null)
        {
            var successTime = EventOrdering.LatestTime(successEvents);
            var failureTime = EventOrdering.LatestTime(failureEvents);
            var failureWins = EventOrdering.FailureWins(successTime, failureTime);
            anomalies.Add(new Anomaly(
                AnomalyCodes.ConflictingTerminals,
                string.Create(CultureInfo.InvariantCulture, $"success at {Format(successTime)} and {latestFailure.EventName} at {Format(failureTime)}; {(failureWins ? "failure" : "success")} has the later provider time")));
            outcome = failureWins ? FailureOutcome(latestFailure) : CallOutcome.Succeeded;
        }
        else if (successEvents.Count > 0)
        {
            outcome = CallOutcome.Succeeded;
        }
        else if (latestFailure is not null)
        {
            outcome = FailureOutcome(latestFailure);
        }

        if (outcome is not (CallOutcome.None or CallOutcome.Succeeded) && latestFailure is not null)
        {
            failureReason = latestFailure.Reason ?? latestFailure.ProviderStatus;
        }

        AddMismatch(anomalies, AnomalyCodes.AgentMismatch, "agents", known.Select(e => e.AgentId));
        AddMismatch(anomalies, AnomalyCodes.OrganizationMismatch, "organizations", known.Select(e => e.OrganizationId));

        var status = StatusOf(seen, outcome);
        var pcaEvents = byPhase.GetValueOrDefault(CallPhase.PcaReady);
        var pcaEvent = pcaEvents is null ? null : EventOrdering.Latest(pcaEvents);

        return new CallSnapshot
        {
            Key = key,
            Source = source,
            CallId = callId,
            Status = status,
            Outcome = outcome,
            Phases = new CallPhaseTimes
            {
                Queued = TimeOf(byPhase, CallPhase.Queued),
                Placed = TimeOf(byPhase, CallPhase.Placed),
                Started = TimeOf(byPhase, CallPhase.Started),
                Ended = TimeOf(byPhase, CallPhase.Ended),
                PcaReady = TimeOf(byPhase, CallPhase.PcaReady),
                Failed = TimeOf(byPhase, CallPhase.Failed),
            },
            MissingPhases = MissingPhases(source, seen),
            Anomalies = [.. anomalies.OrderBy(a => a.Code, StringComparer.Ordinal)],
            FailureReason = failureReason,
            AgentId = EventOrdering.LatestValue(known, e => e.AgentId),
            AgentName = EventOrdering.LatestValue(known, e => e.AgentName),
            OrganizationId = EventOrdering.LatestValue(known, e => e.OrganizationId),
            CustomerNumber = EventOrdering.LatestValue(known, e => e.CustomerNumber),
            CallDirection = EventOrdering.LatestValue(known, e => e.CallDirection),
            Pca = pcaEvent is null ? null : new PcaInfo
            {
                Status = pcaEvent.Type == NormalizedEventType.PcaCompleted ? pcaEvent.ProviderStatus : null,
                Reason = pcaEvent.Type == NormalizedEventType.PcaCompleted ? pcaEvent.Reason : null,
                CompletedAt = pcaEvent.PcaCompletedAt ?? pcaEvent.ProviderTime,
                Analysis = pcaEvent.Analysis,
            },
            EventCount = events.Count,
            DuplicateCount = duplicateCount,
            UnrecognizedCount = events.Count - known.Count,
            FirstReceivedAt = events.Count == 0 ? default : events.Min(e => e.ReceivedAt),
            LastReceivedAt = events.Count == 0 ? default : events.Max(e => e.ReceivedAt),
        };
    }

    private static CallPhase StatusOf(HashSet<CallPhase> seen, CallOutcome outcome)
    {
        if (seen.Count == 0)
        {
            return CallPhase.None;
        }

        var top = seen.Max(PhaseRanks.Of);
        var atTop = seen.Where(p => PhaseRanks.Of(p) == top).ToList();
        if (atTop.Count == 1)
        {
            return atTop[0];
        }

        // Ended and Failed share rank 4: the status follows the terminal outcome (rule 4).
        return outcome is CallOutcome.Succeeded ? CallPhase.Ended : CallPhase.Failed;
    }

    private static ImmutableArray<CallPhase> MissingPhases(string source, HashSet<CallPhase> seen)
    {
        // A failure can happen at any stage, so it implies no earlier phase; success phases imply the ones below.
        var topSuccess = seen.Where(p => p != CallPhase.Failed).Select(PhaseRanks.Of).DefaultIfEmpty(0).Max();
        var expected = source == EventSources.SubVerse ? SubVersePhases : VerbexPhases;
        return [.. expected.Where(p => PhaseRanks.Of(p) < topSuccess && !seen.Contains(p))];
    }

    private static DateTimeOffset? TimeOf(Dictionary<CallPhase, List<IncomingEvent>> byPhase, CallPhase phase) =>
        byPhase.TryGetValue(phase, out var events) ? EventOrdering.EarliestTime(events) : null;

    private static CallOutcome FailureOutcome(IncomingEvent failure) => failure.Type switch
    {
        NormalizedEventType.CallCanceled => CallOutcome.Canceled,
        NormalizedEventType.CallExpired => CallOutcome.Expired,
        _ => CallOutcome.Errored,
    };

    internal static void AddMismatch(List<Anomaly> anomalies, string code, string what, IEnumerable<string?> values)
    {
        var distinct = values.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (distinct.Count > 1)
        {
            anomalies.Add(new Anomaly(code, $"events name different {what}: {string.Join(", ", distinct)}"));
        }
    }

    internal static string Format(DateTimeOffset? time) =>
        time?.ToString("O", CultureInfo.InvariantCulture) ?? "an unknown time";
}
