using Microsoft.Extensions.Logging;

namespace CallEvents.Ingress;

/// <summary>
/// Turns a stream of similar events (requests refused, 503s during an outage) into at most one warning per period per
/// kind, carrying how many there were: the log stays useful under a flood instead of growing by one line per request.
/// </summary>
internal sealed class LogDigest(TimeProvider time, TimeSpan period)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Since, long Count)> _kinds = new(StringComparer.Ordinal);

    /// <summary>
    /// Counts one event of <paramref name="kind"/>; returns the count to report when a warning is due now (the first
    /// event of a kind, then at most once per period), or 0 while the count is still being gathered.
    /// </summary>
    public long Count(string kind)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var (since, count) = _kinds.GetValueOrDefault(kind, (DateTimeOffset.MinValue, 0));
            count++;
            if (now - since < period)
            {
                _kinds[kind] = (since, count);
                return 0;
            }

            _kinds[kind] = (now, 0);
            return count;
        }
    }
}

internal static partial class DigestMessages
{
    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "{Count} request(s) {What} in the last {Period} (the latest: {Detail}); each is logged at Debug")]
    public static partial void Summary(ILogger logger, long count, string what, TimeSpan period, string detail);
}
