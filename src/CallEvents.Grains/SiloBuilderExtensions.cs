using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace CallEvents;

/// <summary>Registers the call-event grains' services on a silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Adds what the call and workflow grains need: options (section <c>Processing</c>) and the compact
    /// serializer for the <see cref="Names.GrainStorage"/> storage. The host chooses the storage provider itself
    /// (memory for the embedded default, PostgreSQL for durable mode) under that name.
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
        silo.Services.AddKeyedSingleton<IGrainStorageSerializer, BinaryGrainStorageSerializer>(Names.GrainStorage);
        return silo;
    }
}
