using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace CallEvents.FollowUps;

/// <summary>What <see cref="FollowUpGrain"/> needs from the silo, in one constructor argument for derived grains.</summary>
public sealed class FollowUpServices(IOptions<FollowUpOptions> options, TimeProvider time, ILoggerFactory loggers, FollowUpRegistry registry)
{
    private readonly Lazy<ResiliencePipeline> _retries = new(() => FollowUpGrain.BuildRetryPipeline(options.Value));

    /// <summary>Which follow-up grains consume which namespaces.</summary>
    public FollowUpRegistry Registry => registry;

    /// <summary>Retry and reminder settings.</summary>
    public FollowUpOptions Options => options.Value;

    /// <summary>The clock.</summary>
    public TimeProvider Time => time;

    /// <summary>Loggers.</summary>
    public ILoggerFactory Loggers => loggers;

    /// <summary>The shared retry pipeline of follow-up actions (thread-safe; built once from <see cref="Options"/>).</summary>
    internal ResiliencePipeline Retries => _retries.Value;
}
