using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Verification;

/// <summary>
/// The expected snapshot of an entity for a set of stored events, written from the rules in docs/design.md §3 and the generator's own
/// knowledge of what each event means. Deliberately independent of <c>CallReconciler</c>: a shared bug cannot
/// make the verdict agree with itself.
/// </summary>
public static class Expectations
{
    private static readonly string[] VerbexPhases = ["Started", "Ended", "PcaReady"];
    private static readonly string[] SubVersePhases = ["Queued", "Placed", "Ended", "PcaReady"];
    private static readonly string[] WorkflowPhases = ["Queued", "Started"];
    private static readonly IReadOnlyDictionary<string, int> NoDecisions = new Dictionary<string, int>(StringComparer.Ordinal);

    public static ExpectedSnapshot For(EntityModel entity, IReadOnlyCollection<EventModel> stored)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(stored);
        return entity.IsWorkflow ? ForWorkflow(stored) : ForCall(entity, stored);
    }

    /// <summary>The call phases an event reaches. The generator's call.completed always carries an analysis.</summary>
    public static IEnumerable<string> CallPhasesOf(EventKind kind) => kind switch
    {
        EventKind.VerbexCallStarted => ["Started"],
        EventKind.VerbexCallEnded => ["Ended"],
        EventKind.VerbexPcaCompleted => ["PcaReady"],
        EventKind.SubVerseInQueue => ["Queued"],
        EventKind.SubVersePlaced => ["Placed"],
        EventKind.SubVerseCompleted => ["Ended", "PcaReady"],
        EventKind.SubVerseErrored or EventKind.SubVerseCanceled or EventKind.SubVerseExpired => ["Failed"],
        _ => [],
    };

    public static int CallRank(string phase) => phase switch
    {
        "Queued" => 1,
        "Placed" => 2,
        "Started" => 3,
        "Ended" or "Failed" => 4,
        "PcaReady" => 5,
        _ => 0,
    };

    private static ExpectedSnapshot ForCall(EntityModel entity, IReadOnlyCollection<EventModel> stored)
    {
        var byPhase = new Dictionary<string, List<EventModel>>(StringComparer.Ordinal);
        foreach (var e in stored)
        {
            foreach (var phase in CallPhasesOf(e.Kind))
            {
                if (!byPhase.TryGetValue(phase, out var list))
                {
                    byPhase[phase] = list = [];
                }

                list.Add(e);
            }
        }

        var successes = stored.Where(e => CallPhasesOf(e.Kind).Any(p => p is "Ended" or "PcaReady")).ToList();
        var failures = byPhase.GetValueOrDefault("Failed") ?? [];
        var latestFailure = failures.MaxBy(e => e.ProviderTime);
        string outcome;
        if (successes.Count > 0 && latestFailure is not null)
        {
            // Rule 4: the later provider time wins; a tie goes to success.
            outcome = latestFailure.ProviderTime > successes.Max(e => e.ProviderTime) ? FailureOutcome(latestFailure.Kind) : "Succeeded";
        }
        else if (successes.Count > 0)
        {
            outcome = "Succeeded";
        }
        else
        {
            outcome = latestFailure is null ? "None" : FailureOutcome(latestFailure.Kind);
        }

        string status;
        if (byPhase.Count == 0)
        {
            status = "None";
        }
        else
        {
            var top = byPhase.Keys.Max(CallRank);
            var atTop = byPhase.Keys.Where(p => CallRank(p) == top).ToList();
            status = atTop.Count == 1 ? atTop[0] : outcome == "Succeeded" ? "Ended" : "Failed";
        }

        // Rule 3: phases implied by the highest success phase but not seen; a failure implies nothing.
        var topSuccess = byPhase.Keys.Where(p => p != "Failed").Select(CallRank).DefaultIfEmpty(0).Max();
        var expected = entity.Type == EntityType.VerbexCall ? VerbexPhases : SubVersePhases;
        return new ExpectedSnapshot
        {
            Status = status,
            Outcome = outcome,
            Phases = byPhase.ToDictionary(kv => kv.Key, kv => kv.Value.Min(e => e.ProviderTime), StringComparer.Ordinal),
            MissingPhases = [.. expected.Where(p => CallRank(p) < topSuccess && !byPhase.ContainsKey(p))],
            EventCount = stored.Count,
            FailureReason = outcome is "None" or "Succeeded" ? null : latestFailure?.Reason,

            // A call is emitted once, when it first reaches PcaReady (a later failure does not undo that).
            Decisions = byPhase.ContainsKey("PcaReady") ? One(StreamNamespaces.CallPcaReady) : NoDecisions,
        };
    }

    private static ExpectedSnapshot ForWorkflow(IReadOnlyCollection<EventModel> stored)
    {
        static string? PhaseOf(EventKind kind) => kind switch
        {
            EventKind.WorkflowInQueue => "Queued",
            EventKind.WorkflowStarted => "Started",
            EventKind.WorkflowCompleted => "Completed",
            _ => null,
        };

        static int Rank(string phase) => phase switch
        {
            "Queued" => 1,
            "Started" => 2,
            _ => 3,
        };

        var phases = stored
            .Select(e => (Phase: PhaseOf(e.Kind), Event: e))
            .Where(x => x.Phase is not null)
            .GroupBy(x => x.Phase!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Min(x => x.Event.ProviderTime), StringComparer.Ordinal);
        var nodes = stored.Where(e => e.Kind == EventKind.WorkflowNodeExecution).ToList();
        var top = phases.Keys.Select(Rank).DefaultIfEmpty(0).Max();
        var status = top switch
        {
            0 => "None",
            1 => "Queued",
            2 => "Started",
            _ => "Completed",
        };
        return new ExpectedSnapshot
        {
            Status = status,
            Phases = phases,
            MissingPhases = [.. WorkflowPhases.Where(p => Rank(p) < top && !phases.ContainsKey(p))],
            EventCount = stored.Count,
            NodeExecutions = nodes.Count,
            LastNode = nodes.MaxBy(e => e.ProviderTime)?.NodeName,

            // One emission per finished execution (the generator never sends failures; "Failed" is for completeness).
            Decisions = status switch
            {
                "Completed" => One(StreamNamespaces.WorkflowCompleted),
                "Failed" => One(StreamNamespaces.WorkflowFailed),
                _ => NoDecisions,
            },
        };
    }

    private static Dictionary<string, int> One(string streamNamespace) => new(StringComparer.Ordinal) { [streamNamespace] = 1 };

    private static string FailureOutcome(EventKind kind) => kind switch
    {
        EventKind.SubVerseCanceled => "Canceled",
        EventKind.SubVerseExpired => "Expired",
        _ => "Errored",
    };
}
