using System.Net;
using System.Security.Cryptography.X509Certificates;
using CallEvents.Security.Tests.Infrastructure;
using CallEvents.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Connections.Security;

namespace CallEvents.Security.Tests;

/// <summary>
/// The trusted interface protected: two silos on a real PostgreSQL talk TLS with mutual authentication, certificates
/// from a CA made in the test; an Orleans client without a certificate of that CA is refused at the gateway.
/// </summary>
public sealed class SiloTlsTests : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly PostgresServer _server;
    private readonly ClusterCertificates _certificates = new();

    public SiloTlsTests(PostgresFixture fixture) => _server = fixture.Server;

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task Two_TLS_silos_form_a_cluster_and_only_clients_with_a_certificate_of_the_cluster_CA_reach_the_gateway()
    {
        var connectionString = await _server.CreateDatabaseAsync("silo_tls");
        var clusterId = $"tls-{Guid.NewGuid():N}";
        await using var first = await StartSiloAsync(connectionString, clusterId, "silo-1");
        await using var second = await StartSiloAsync(connectionString, clusterId, "silo-2");

        await Wait.UntilAsync(
            async () => (await MembershipRow.ReadAsync(connectionString, clusterId)).Count(r => r.Status == MembershipRow.Active) == 2,
            TimeSpan.FromSeconds(60),
            "both TLS silos to be active in the membership table");

        // Half the deliveries through each silo's HTTP front, every read through the other one: whichever silo a call's
        // grain was placed on, the reads of one half or the other cross the silo-to-silo link, over TLS.
        var callIds = Enumerable.Range(0, 24).Select(i => $"tls-call-{i}-{Guid.NewGuid():N}").ToList();
        for (var i = 0; i < callIds.Count; i++)
        {
            var body = Payloads.SubVerseCall("call.placed", callIds[i], Payloads.At);
            Assert.Equal(HttpStatusCode.OK, (await (i % 2 == 0 ? first : second).PostWebhookAsync("subverse", body)).StatusCode);
        }

        for (var i = 0; i < callIds.Count; i++)
        {
            using var snapshot = await (i % 2 == 0 ? second : first).Http.GetAsync(new Uri($"/calls/subverse/{callIds[i]}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, snapshot.StatusCode);
            Assert.Contains("\"Placed\"", await snapshot.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var statistics = await first.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        Assert.Equal(2, statistics.Select(s => s.SiloAddress).Distinct().Count());
        Assert.True(statistics.Where(s => s.GrainType.Contains("CallGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount) >= callIds.Count);

        var probe = GrainKeys.Call(EventSources.SubVerse, callIds[0]);

        // A client holding a certificate of the cluster's CA is let in (the control)...
        var (clientCertificate, _, _) = _certificates.Issue("trusted-client");
        Assert.NotNull(await QueryThroughGatewayAsync(first, clusterId, probe, tls => UseClientCertificate(tls, clientCertificate)));

        // ...a TLS client without a certificate, one with a certificate of another CA, and a plain client are not.
        using var rogue = new ClusterCertificates("rogue-ca");
        var (rogueCertificate, _, _) = rogue.Issue("rogue-client");
        await Assert.ThrowsAnyAsync<Exception>(() => QueryThroughGatewayAsync(first, clusterId, probe, tls => tls.AllowAnyRemoteCertificate()));
        await Assert.ThrowsAnyAsync<Exception>(() => QueryThroughGatewayAsync(first, clusterId, probe, tls => UseClientCertificate(tls, rogueCertificate)));
        await Assert.ThrowsAnyAsync<Exception>(() => QueryThroughGatewayAsync(first, clusterId, probe, configureTls: null));

        // The refusals did not disturb the cluster.
        Assert.Equal(2, (await MembershipRow.ReadAsync(connectionString, clusterId)).Count(r => r.Status == MembershipRow.Active));
    }

    private Task<LoopbackHost> StartSiloAsync(string connectionString, string clusterId, string name) =>
        LoopbackHost.StartAsync(new LoopbackHostOptions
        {
            ConnectionString = connectionString,
            ClusterId = clusterId,
            Args = ["--Security:AllowAnonymous=true", "--Logging:LogLevel:Polly=Error", .. _certificates.SiloArgs(name)],
        });

    private static void UseClientCertificate(TlsOptions tls, X509Certificate2 certificate)
    {
        tls.LocalCertificate = certificate;
        // The test client checks nothing about the silo; the point is whether the silo lets it in.
        tls.AllowAnyRemoteCertificate();
    }

    /// <summary>An Orleans client on the silo's gateway (loopback), asking one grain for its snapshot.</summary>
    private static async Task<CallSnapshot?> QueryThroughGatewayAsync(LoopbackHost silo, string clusterId, string key, Action<TlsOptions>? configureTls)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort: silo.GatewayPort, serviceId: "callevents", clusterId: clusterId);
            if (configureTls is not null)
            {
                client.UseTls(configureTls);
            }
        });
        using var app = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await app.StartAsync(timeout.Token);
        try
        {
            return await app.Services.GetRequiredService<IClusterClient>().GetGrain<ICallGrain>(key).GetSnapshotAsync().WaitAsync(timeout.Token);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }
}
