using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Streams;
using Orleans.Storage;

namespace CallEvents;

/// <summary>Registers the call-event grains' services on a silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Adds what the call and workflow grains need: options (sections <c>Processing</c> and <c>Lifecycle</c>),
    /// the compact serializer for the <see cref="Names.GrainStorage"/> storage, the follow-up registry, and the
    /// <see cref="Names.StreamProvider"/> memory stream provider (implicit subscriptions only). The host chooses
    /// the storage and reminder providers itself (memory for the embedded default, PostgreSQL for durable mode).
    /// </summary>
    public static ISiloBuilder AddCallEventProcessing(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddOptions<ProcessingOptions>()
            .BindConfiguration(ProcessingOptions.Section)
            .Validate(
                o => o.MaxEventsPerEntity is >= ProcessingOptions.MinEventsPerEntity and <= ProcessingOptions.MaxEventsLimit,
                $"Processing:MaxEventsPerEntity must be between {ProcessingOptions.MinEventsPerEntity} and {ProcessingOptions.MaxEventsLimit}.")
            .ValidateOnStart();
        silo.Services.AddOptions<LifecycleOptions>()
            .BindConfiguration(LifecycleOptions.Section)
            .Validate(o => o.PcaDeadline > TimeSpan.Zero && o.EndDeadline > TimeSpan.Zero, "Lifecycle:PcaDeadline and Lifecycle:EndDeadline must be positive.")
            .Validate(o => o.TickPeriod >= TimeSpan.FromSeconds(1), "Lifecycle:TickPeriod must be at least 1 second (and not below ReminderOptions.MinimumReminderPeriod).")
            .ValidateOnStart();
        // A tick period configured below Orleans' minimum reminder period lowers that minimum, instead of
        // failing every registration at run time.
        silo.Services.AddOptions<ReminderOptions>().Configure<IOptions<LifecycleOptions>>((reminders, lifecycle) =>
        {
            if (lifecycle.Value.TickPeriod < reminders.MinimumReminderPeriod)
            {
                reminders.MinimumReminderPeriod = lifecycle.Value.TickPeriod;
            }
        });
        silo.Services.AddKeyedSingleton<IGrainStorageSerializer, BinaryGrainStorageSerializer>(Names.GrainStorage);
        silo.Services.TryAddSingleton<FollowUpRegistry>();
        silo.Services.TryAddSingleton(TimeProvider.System);

        // Follow-up grains come with their assemblies and subscribe implicitly, so every emission activates them. One
        // that was never registered (AddFollowUpGrain; e.g. the built-in callback grains without AddCallbackFollowUps)
        // lacks its services and would fail to construct each time: only registered follow-up grains are hosted.
        // (A registered one that consumes nothing stays hosted, so actions it scheduled under earlier settings run.)
        silo.Services.AddOptions<GrainTypeOptions>().PostConfigure<FollowUpRegistry>((grainTypes, registry) =>
            grainTypes.Classes.RemoveWhere(c => typeof(IFollowUpGrain).IsAssignableFrom(c) && !registry.IsRegistered(c.FullName!)));

        // Memory streams lose queued events when a silo dies; the grains' outbox and reminder make delivery
        // at-least-once regardless. Implicit subscriptions only, so no pub-sub store is needed.
        silo.AddMemoryStreams(Names.StreamProvider, streams => streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        return silo;
    }
}
