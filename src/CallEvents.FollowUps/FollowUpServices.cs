using CallEvents.Journal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Polly;

namespace CallEvents.FollowUps;

/// <summary>What <see cref="FollowUpGrain"/> needs from the silo, in one constructor argument for derived grains.</summary>
public sealed class FollowUpServices(IOptions<FollowUpOptions> options, [FromKeyedServices(CallEventClock.Key)] TimeProvider time, ILoggerFactory loggers, FollowUpRegistry registry, IJournal journal, Serializer serializer)
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

    /// <summary>Where follow-up grains keep their decisions and actions.</summary>
    internal IJournal Journal => journal;

    /// <summary>Serializes journal records.</summary>
    internal Serializer Serializer => serializer;

    /// <summary>The shared retry pipeline of follow-up actions (thread-safe; built once from <see cref="Options"/>).</summary>
    internal ResiliencePipeline Retries => _retries.Value;
}
