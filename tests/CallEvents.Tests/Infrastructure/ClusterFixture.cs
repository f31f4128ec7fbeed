using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace CallEvents.Tests.Infrastructure;

/// <summary>A three-silo in-process Orleans cluster with the call-event grains on in-memory storage.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>The grain factory of silo <paramref name="index"/> (mod silo count), so events enter through different silos.</summary>
    public IGrainFactory Silo(int index)
    {
        var silos = Cluster.Silos;
        return silos[index % silos.Count].ServiceProvider.GetRequiredService<IGrainFactory>();
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(Names.GrainStorage);
            silo.UseInMemoryReminderService();
            silo.AddCallEventProcessing();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
