using System.Net;
using CallEvents.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CallEvents.Tests.Http;

/// <summary>The README's external <see cref="IClusterClient"/> example, against a running host.</summary>
public sealed class ClusterClientTests
{
    [Fact]
    public async Task An_external_cluster_client_reads_a_call_through_the_grain_api()
    {
        var clusterId = $"client-{Guid.NewGuid():N}";
        await using var host = await HostInstance.StartAsync(null, clusterId);
        var callId = $"client-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", FixtureFiles.Verbex("CallHandler.CallEnded", callId, callId, 1762408841m))).StatusCode);

        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort: host.GatewayPort, serviceId: "callevents", clusterId: clusterId));
        using var app = builder.Build();
        await app.StartAsync();
        try
        {
            var grains = app.Services.GetRequiredService<IClusterClient>();
            var call = await grains.GetGrain<ICallGrain>(GrainKeys.Call(EventSources.Verbex, callId)).GetSnapshotAsync();
            Assert.NotNull(call);
            Assert.Equal(CallPhase.Ended, call.Status);
            Assert.Equal([CallPhase.Started], call.MissingPhases.AsEnumerable());
            Assert.Null(await grains.GetGrain<ICallGrain>(GrainKeys.Call(EventSources.Verbex, "nobody")).GetSnapshotAsync());
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
