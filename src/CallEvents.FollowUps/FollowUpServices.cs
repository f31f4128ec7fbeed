using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.FollowUps;

/// <summary>What <see cref="FollowUpGrain"/> needs from the silo, in one constructor argument for derived grains.</summary>
public sealed class FollowUpServices(IOptions<FollowUpOptions> options, TimeProvider time, ILoggerFactory loggers, FollowUpRegistry registry)
{
    /// <summary>Which follow-up grains consume which namespaces.</summary>
    public FollowUpRegistry Registry => registry;

    /// <summary>Retry and reminder settings.</summary>
    public FollowUpOptions Options => options.Value;

    /// <summary>The clock.</summary>
    public TimeProvider Time => time;

    /// <summary>Loggers.</summary>
    public ILoggerFactory Loggers => loggers;
}
