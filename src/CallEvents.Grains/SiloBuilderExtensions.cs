using CallEvents.Journal;
using CallEvents.Sweeping;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Streams;

namespace CallEvents;

/// <summary>Registers the call-event grains' services on a silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Adds what the call and workflow grains need: options (sections <c>Processing</c>, <c>Lifecycle</c> and
    /// <c>Retention</c>), the journal
    /// (in memory unless a durable one, such as the PostgreSQL journal, was registered before), the due-time sweepers,
    /// the follow-up registry, and the <see cref="Names.StreamProvider"/> memory stream provider (implicit subscriptions
    /// only). The host chooses clustering and the reminder service itself.
    /// </summary>
    public static ISiloBuilder AddCallEventProcessing(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddOptions<ProcessingOptions>()
            .BindConfiguration(ProcessingOptions.Section)
            .Validate(
                o => o.MaxEventsPerEntity is >= ProcessingOptions.MinEventsPerEntity and <= ProcessingOptions.MaxEventsLimit,
                $"Processing:MaxEventsPerEntity must be between {ProcessingOptions.MinEventsPerEntity} and {ProcessingOptions.MaxEventsLimit}.")
            .Validate(o => o.MaxPayloadBytesPerEntity >= 64 * 1024, "Processing:MaxPayloadBytesPerEntity must be at least 65536.")
            .ValidateOnStart();
        silo.Services.AddOptions<LifecycleOptions>()
            .BindConfiguration(LifecycleOptions.Section)
            .Validate(o => o.PcaDeadline > TimeSpan.Zero && o.EndDeadline > TimeSpan.Zero, "Lifecycle:PcaDeadline and Lifecycle:EndDeadline must be positive.")
            .Validate(o => o.RepublishAfter >= TimeSpan.FromSeconds(1), "Lifecycle:RepublishAfter must be at least 1 second.")
            .Validate(o => o.SweepPeriod >= TimeSpan.FromMilliseconds(100) && o.SweepPeriod <= TimeSpan.FromMinutes(1), "Lifecycle:SweepPeriod must be between 100 ms and 1 minute.")
            .Validate(o => o.Sweepers is >= 1 and <= 64, "Lifecycle:Sweepers must be between 1 and 64.")
            .Validate(o => o.SweepLease >= TimeSpan.FromSeconds(5), "Lifecycle:SweepLease must be at least 5 seconds.")
            .ValidateOnStart();
        silo.Services.AddOptions<RetentionOptions>()
            .BindConfiguration(RetentionOptions.Section)
            .Validate(o => o.EraseFinishedAfter is null || o.EraseFinishedAfter >= TimeSpan.FromMinutes(1), "Retention:EraseFinishedAfter must be at least 1 minute (or unset).")
            .Validate(o => o.MaxPerMinute is >= 1 and <= 100_000, "Retention:MaxPerMinute must be between 1 and 100000.")
            .ValidateOnStart();
        silo.Services.TryAddSingleton<IJournal, MemoryJournal>();
        silo.Services.TryAddSingleton<FollowUpRegistry>();
        silo.Services.AddCallEventClock();

        // Follow-up grains come with their assemblies and subscribe implicitly, so every emission activates them. One
        // that was never registered (AddFollowUpGrain; e.g. the built-in callback grains without AddCallbackFollowUps)
        // lacks its services and would fail to construct each time: only registered follow-up grains are hosted.
        // (A registered one that consumes nothing stays hosted, so actions it scheduled under earlier settings run.)
        silo.Services.AddOptions<GrainTypeOptions>().PostConfigure<FollowUpRegistry>((grainTypes, registry) =>
            grainTypes.Classes.RemoveWhere(c => typeof(IFollowUpGrain).IsAssignableFrom(c) && !registry.IsRegistered(c.FullName!)));

        // Memory streams lose queued events when a silo dies; the journal's outbox and the sweep make delivery
        // at-least-once regardless. Implicit subscriptions only, so no pub-sub store is needed.
        silo.AddMemoryStreams(Names.StreamProvider, streams => streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));

        // Every silo makes sure the sweepers' reminders exist and calls the sweepers every few seconds, so a sweeper
        // lost with its silo is back within seconds (see SweeperKeepAlive).
        silo.Services.AddSingleton<SweeperKeepAlive>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(services => services.GetRequiredService<SweeperKeepAlive>());
        return silo;
    }
}
