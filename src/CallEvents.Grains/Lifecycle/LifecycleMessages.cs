using Microsoft.Extensions.Logging;

namespace CallEvents.Lifecycle;

/// <summary>Log messages of the lifecycle grains (event ids 1001-1099).</summary>
internal static partial class LifecycleMessages
{
    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "{Key} emitted {Namespace} (emission {EmissionId}) awaiting {ConsumerCount} consumer(s)")]
    public static partial void Emitted(ILogger logger, string key, string @namespace, Guid emissionId, int consumerCount);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "Publishing {Namespace} for {Key} failed; it stays pending and is republished when due")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string key, string @namespace);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Call {Key} stalled: {Reason} since {WaitingSince}")]
    public static partial void Stalled(ILogger logger, string key, StallReason reason, DateTimeOffset waitingSince);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "{Key}: a {Tenant} credential may not write an entity of another organization; refused")]
    public static partial void TenantRefused(ILogger logger, string key, string tenant);
}
