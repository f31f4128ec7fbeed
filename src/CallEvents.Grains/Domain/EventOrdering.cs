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

    /// <summary>The latest event by <see cref="Compare"/>, or null for none.</summary>
    public static IncomingEvent? Latest(IEnumerable<IncomingEvent> events)
    {
        IncomingEvent? latest = null;
        foreach (var e in events)
        {
            if (latest is null || Compare(e, latest) > 0)
            {
                latest = e;
            }
        }

        return latest;
    }

    /// <summary>The value of <paramref name="select"/> on the latest event where it is not null.</summary>
    public static T? LatestValue<T>(IEnumerable<IncomingEvent> events, Func<IncomingEvent, T?> select)
        where T : class =>
        Latest(events.Where(e => select(e) is not null)) is { } latest ? select(latest) : null;

    /// <summary>The earliest provider time among the events, or null when none carries one.</summary>
    public static DateTimeOffset? EarliestTime(IEnumerable<IncomingEvent> events) =>
        events.Select(e => e.ProviderTime).Where(t => t.HasValue).Min();

    /// <summary>The latest provider time among the events, or null when none carries one.</summary>
    public static DateTimeOffset? LatestTime(IEnumerable<IncomingEvent> events) =>
        events.Select(e => e.ProviderTime).Where(t => t.HasValue).Max();

    /// <summary>
    /// Rule 4's tie-break: failure wins only with a strictly later provider time than success.
    /// An unknown time loses to any known one.
    /// </summary>
    public static bool FailureWins(DateTimeOffset? successTime, DateTimeOffset? failureTime) =>
        Nullable.Compare(failureTime, successTime) > 0;
}
