namespace CallEvents.Domain;

/// <summary>
/// The one total order the reconciliation rules use to pick "the latest" of several events:
/// provider time (unknown times first), then dedup key. It never looks at arrival order, which is what
/// makes every choice made with it independent of the order deliveries came in.
/// </summary>
internal static class EventOrdering
{
    public static int Compare(IncomingEvent left, IncomingEvent right)
    {
        var byTime = Nullable.Compare(left.ProviderTime, right.ProviderTime);
        return byTime != 0 ? byTime : left.DedupKey.CompareTo(right.DedupKey);
    }

    /// <summary>
    /// Rule 4's tie-break: failure wins only with a strictly later provider time than success.
    /// An unknown time loses to any known one.
    /// </summary>
    public static bool FailureWins(DateTimeOffset? successTime, DateTimeOffset? failureTime) =>
        Nullable.Compare(failureTime, successTime) > 0;
}
