using System.Globalization;
using System.Text.Json;
using CallEvents.LoadTest.Verification;

namespace CallEvents.LoadTest.Targets;

/// <summary>Maps grain-API snapshots and HTTP snapshot JSON onto <see cref="ObservedSnapshot"/>.</summary>
public static class SnapshotMapping
{
    public static ObservedSnapshot From(CallSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var phases = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        Add(phases, "Queued", snapshot.Phases.Queued);
        Add(phases, "Placed", snapshot.Phases.Placed);
        Add(phases, "Started", snapshot.Phases.Started);
        Add(phases, "Ended", snapshot.Phases.Ended);
        Add(phases, "PcaReady", snapshot.Phases.PcaReady);
        Add(phases, "Failed", snapshot.Phases.Failed);
        return new ObservedSnapshot
        {
            Status = snapshot.Status.ToString(),
            Outcome = snapshot.Outcome.ToString(),
            Phases = phases,
            MissingPhases = [.. snapshot.MissingPhases.Select(p => p.ToString())],
            EventCount = snapshot.EventCount,
            DuplicateCount = snapshot.DuplicateCount,
            UnrecognizedCount = snapshot.UnrecognizedCount,
            FailureReason = snapshot.FailureReason,
            Anomalies = [.. snapshot.Anomalies.Select(a => a.Code)],
        };
    }

    public static ObservedSnapshot From(WorkflowSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var phases = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        Add(phases, "Queued", snapshot.Phases.Queued);
        Add(phases, "Started", snapshot.Phases.Started);
        Add(phases, "Completed", snapshot.Phases.Completed);
        Add(phases, "Failed", snapshot.Phases.Failed);
        return new ObservedSnapshot
        {
            Status = snapshot.Status.ToString(),
            Phases = phases,
            MissingPhases = [.. snapshot.MissingPhases.Select(p => p.ToString())],
            EventCount = snapshot.EventCount,
            DuplicateCount = snapshot.DuplicateCount,
            UnrecognizedCount = snapshot.UnrecognizedCount,
            NodeExecutions = snapshot.NodeExecutions,
            LastNode = snapshot.LastNode,
            FailureReason = snapshot.FailureReason,
            Anomalies = [.. snapshot.Anomalies.Select(a => a.Code)],
        };
    }

    /// <summary>Reads the HTTP API's camelCase snapshot JSON (enums as names).</summary>
    public static ObservedSnapshot FromJson(JsonElement root, bool workflow)
    {
        var phases = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (root.TryGetProperty("phases", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            foreach (var phase in p.EnumerateObject())
            {
                if (phase.Value.ValueKind == JsonValueKind.String)
                {
                    phases[Pascal(phase.Name)] = DateTimeOffset.Parse(phase.Value.GetString()!, CultureInfo.InvariantCulture);
                }
            }
        }

        return new ObservedSnapshot
        {
            Status = String(root, "status") ?? "None",
            Outcome = workflow ? null : String(root, "outcome"),
            Phases = phases,
            MissingPhases = Array(root, "missingPhases", e => e.GetString() ?? string.Empty),
            EventCount = Int(root, "eventCount"),
            DuplicateCount = Int(root, "duplicateCount"),
            UnrecognizedCount = Int(root, "unrecognizedCount"),
            NodeExecutions = Int(root, "nodeExecutions"),
            LastNode = String(root, "lastNode"),
            FailureReason = String(root, "failureReason"),
            Anomalies = Array(root, "anomalies", e => e.TryGetProperty("code", out var c) ? c.GetString() ?? string.Empty : string.Empty),
        };
    }

    /// <summary>The snapshot with the tally follow-up's decisions for its key: how many per namespace, how many emissions.</summary>
    public static ObservedSnapshot WithDecisions(ObservedSnapshot snapshot, IEnumerable<FollowUpDecisionRecord> decisions)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(decisions);
        var list = decisions.ToList();
        return snapshot with
        {
            Decisions = list.GroupBy(d => d.Namespace, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            DecidedEmissions = list.Select(d => d.EmissionId).Distinct().Count(),
        };
    }

    /// <summary>
    /// The tally follow-up's decisions in the HTTP API's <c>GET …/follow-ups</c> JSON
    /// (<c>{"key", "followUps": [{"followUp", "decisions": [{"emissionId", "namespace", …}]}]}</c>).
    /// </summary>
    public static IReadOnlyList<FollowUpDecisionRecord> TallyDecisionsFromJson(JsonElement root)
    {
        var decisions = new List<FollowUpDecisionRecord>();
        if (!root.TryGetProperty("followUps", out var followUps) || followUps.ValueKind != JsonValueKind.Array)
        {
            return decisions;
        }

        foreach (var record in followUps.EnumerateArray())
        {
            if (String(record, "followUp") != TallyFollowUpGrain.Name
                || !record.TryGetProperty("decisions", out var list)
                || list.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var d in list.EnumerateArray())
            {
                decisions.Add(new FollowUpDecisionRecord(
                    d.GetProperty("emissionId").GetGuid(),
                    String(d, "namespace") ?? string.Empty,
                    d.TryGetProperty("decidedAt", out var at) && at.ValueKind == JsonValueKind.String ? at.GetDateTimeOffset() : default,
                    String(d, "actionId"),
                    String(d, "summary") ?? string.Empty));
            }
        }

        return decisions;
    }

    private static void Add(Dictionary<string, DateTimeOffset> phases, string name, DateTimeOffset? time)
    {
        if (time is { } t)
        {
            phases[name] = t;
        }
    }

    private static string Pascal(string camel) => camel.Length == 0 ? camel : char.ToUpperInvariant(camel[0]) + camel[1..];

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;

    private static string[] Array(JsonElement root, string name, Func<JsonElement, string> select) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray().Select(select)] : [];
}
