using CallEvents.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// A three-silo in-process Orleans cluster (TestingHost's clustering) composed like the host's silo
/// (<see cref="CallEventSiloBuilderExtensions.AddCallEventSilo"/>), on in-memory storage.
/// </summary>
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
        builder.ConfigureSilo((_, silo) => silo.AddCallEventSilo(postgresConnectionString: null));
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
