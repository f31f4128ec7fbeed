using CallEvents.Journal;

namespace CallEvents.Lifecycle;

/// <summary>Pages of an entity's accepted events, with the raw bodies read from the journal.</summary>
internal static class EntityHistory
{
    public static async Task<EventHistory> PageAsync(JournaledState<EntityState, EntityEntry> log, string key, int after, int limit)
    {
        var history = log.State.History;
        var from = Math.Clamp(after, 0, history.Count);
        var page = history.GetRange(from, Math.Clamp(limit, 0, history.Count - from));
        var stored = await log.ReadWithPayloadsAsync([.. page.Where(h => h.Stored.PayloadKept).Select(h => h.Sequence)]);
        var payloads = stored.ToDictionary(r => r.Sequence, r => r.Payload);
        var events = page.Select((h, i) => new EventRecord
        {
            Sequence = from + i + 1,
            EventName = h.Stored.Event.EventName,
            Type = h.Stored.Event.Type,
            ProviderTime = h.Stored.Event.ProviderTime,
            ReceivedAt = h.Stored.Event.ReceivedAt,
            Late = h.Stored.Late,
            DedupKey = h.Stored.Event.DedupKey.ToString(),
            RawPayload = payloads.GetValueOrDefault(h.Sequence)?.ToArray(),
            Duplicates = log.State.DuplicatesOf.GetValueOrDefault(h.Stored.Event.DedupKey),
        });
        var end = from + page.Count;
        return new EventHistory(key, [.. events], history.Count, end < history.Count ? end : null);
    }
}
