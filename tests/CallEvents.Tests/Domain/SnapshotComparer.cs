namespace CallEvents.Tests.Domain;

/// <summary>
/// Compares snapshots on everything rule 2 covers. Immutable arrays compare by reference in records,
/// so the comparison spells them out; key/id and received-at times are per-run and excluded.
/// </summary>
internal static class SnapshotComparer
{
    public static IEqualityComparer<CallSnapshot> Call { get; } = new Comparer<CallSnapshot>(Normalize);

    public static IEqualityComparer<WorkflowSnapshot> Workflow { get; } = new Comparer<WorkflowSnapshot>(Normalize);

    public static string Normalize(CallSnapshot s) => System.Text.Json.JsonSerializer.Serialize(
        s with { Key = "", CallId = "", FirstReceivedAt = default, LastReceivedAt = default });

    public static string Normalize(WorkflowSnapshot s) => System.Text.Json.JsonSerializer.Serialize(
        s with { Key = "", ExecutionId = "", FirstReceivedAt = default, LastReceivedAt = default });

    private sealed class Comparer<T>(Func<T, string> normalize) : IEqualityComparer<T>
    {
        public bool Equals(T? x, T? y) => x is not null && y is not null && normalize(x) == normalize(y);

        public int GetHashCode(T obj) => normalize(obj).GetHashCode(StringComparison.Ordinal);
    }
}
