using Microsoft.Extensions.Logging;

namespace CallEvents.PostgreSql;

/// <summary>
/// Logs a dependency's outage as two lines, one when it goes down and one when it comes back (with how long it was
/// down and how many operations failed meanwhile), instead of one stack trace per failed operation.
/// </summary>
internal sealed partial class OutageLog(ILogger logger, string dependency, TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _downSince;
    private long _failures;

    /// <summary>Whether the last operation failed.</summary>
    public bool IsDown
    {
        get
        {
            lock (_gate)
            {
                return _downSince is not null;
            }
        }
    }

    public void Failed(Exception exception)
    {
        lock (_gate)
        {
            _failures++;
            if (_downSince is not null)
            {
                return;
            }

            _downSince = time.GetUtcNow();
        }

        WentDown(logger, exception, dependency, exception.Message);
    }

    public void Succeeded()
    {
        TimeSpan downFor;
        long failures;
        lock (_gate)
        {
            if (_downSince is not { } since)
            {
                return;
            }

            downFor = time.GetUtcNow() - since;
            failures = _failures;
            _downSince = null;
            _failures = 0;
        }

        CameBack(logger, dependency, downFor, failures);
    }

    [LoggerMessage(EventId = 41010, Level = LogLevel.Warning, Message = "{Dependency} is unavailable ({Reason}); operations fail with 503 until it is back")]
    private static partial void WentDown(ILogger logger, Exception exception, string dependency, string reason);

    [LoggerMessage(EventId = 41011, Level = LogLevel.Warning, Message = "{Dependency} is available again after {DownFor}; {Failures} operation(s) failed meanwhile")]
    private static partial void CameBack(ILogger logger, string dependency, TimeSpan downFor, long failures);
}
