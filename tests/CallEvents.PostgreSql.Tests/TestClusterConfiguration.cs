using Microsoft.Extensions.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace CallEvents.PostgreSql.Tests;

/// <summary>Builds in-process Orleans test clusters whose silos keep everything in PostgreSQL.</summary>
internal static class PostgresTestCluster
{
    public const string ConnectionStringKey = "CallEventsTest:PostgresConnectionString";

    public static TestCluster Build(string connectionString, string serviceId, string clusterId, short silos = 2)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = clusterId;
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[ConnectionStringKey] = connectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        return builder.Build();
    }

    private static string ConnectionString(IConfiguration configuration) =>
        configuration[ConnectionStringKey]
        ?? throw new InvalidOperationException($"The test cluster configuration lacks {ConnectionStringKey}.");

    public sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.UsePostgreSqlDurability(ConnectionString(siloBuilder.Configuration), TestStorage.Name);
    }

    public sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.UsePostgreSqlClustering(ConnectionString(configuration));
    }
}
