using Microsoft.Extensions.Logging;

namespace CallEvents.Ingress;

internal static partial class IngressMessages
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Rejected a {Source} delivery: bad field {Field}")]
    public static partial void Rejected(ILogger logger, string source, string field);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Grain {Target} did not answer within {Timeout}; answered 503")]
    public static partial void GrainTimedOut(ILogger logger, string target, TimeSpan timeout);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Grain {Target} failed ({Error}: {Reason}); answered 503")]
    public static partial void GrainUnavailable(ILogger logger, string target, string error, string reason);
}
