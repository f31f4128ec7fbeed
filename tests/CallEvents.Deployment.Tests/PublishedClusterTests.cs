using System.Globalization;
using System.Net;
using System.Text;
using CallEvents.TestSupport;

namespace CallEvents.Deployment.Tests;

/// <summary>
/// The published, self-contained host started as processes configured through environment variables exactly as
/// deploy/compose.yaml and deploy/.env.example pass them (only ports, database and cluster id changed to fit one machine).
/// </summary>
public sealed class PublishedClusterTests(PublishedHostFixture fixture) : IClassFixture<PublishedHostFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Two_published_silos_configured_like_the_compose_file_form_one_cluster_and_answer_HTTP()
    {
        var connectionString = await fixture.Postgres.CreateDatabaseAsync("published");
        var clusterId = $"published-{Guid.NewGuid():N}";
        var (environment1, http1) = SiloEnvironment("silo1", connectionString, clusterId);
        var (environment2, http2) = SiloEnvironment("silo2", connectionString, clusterId);
        await using var silo1 = HostProcess.Start(fixture.Executable, environment1);
        await using var silo2 = HostProcess.Start(fixture.Executable, environment2);
        using var client1 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http1}"), Timeout = TimeSpan.FromSeconds(10) };
        using var client2 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http2}"), Timeout = TimeSpan.FromSeconds(10) };

        // ASPNETCORE_HTTP_PORTS (as the official image sets it) wins over the embedded default: the published
        // appsettings.json pins no address.
        await WaitForRootAsync(client1, silo1);
        await WaitForRootAsync(client2, silo2);
        await Wait.UntilAsync(
            async () => (await MembershipRow.ReadAsync(connectionString, clusterId)).Count(r => r.Status == MembershipRow.Active) == 2,
            Patience,
            "both published silos to be active in orleansmembershiptable");
        Assert.All(await MembershipRow.ReadAsync(connectionString, clusterId), row => Assert.Equal("127.0.0.1", row.Address));

        // A delivery through one silo, read through the other, with the credentials of .env.example.
        var credentials = DeployFiles.EnvFile(Path.Combine(DeployFiles.Deploy, ".env.example"));
        var callId = $"published-{Guid.NewGuid():N}";
        using var delivery = new HttpRequestMessage(HttpMethod.Post, "/webhooks/subverse")
        {
            Content = new StringContent("{\"eventType\":\"call.placed\",\"createdAt\":\"2026-04-01T08:00:00Z\",\"data\":{\"callId\":\"" + callId + "\",\"agentId\":\"agent_1\"}}", Encoding.UTF8, "application/json"),
        };
        delivery.Headers.TryAddWithoutValidation("Authorization", credentials["Security__Sources__subverse__Credentials__0__Secret"]);
        using var accepted = await client1.SendAsync(delivery);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        using var read = new HttpRequestMessage(HttpMethod.Get, $"/calls/subverse/{callId}");
        read.Headers.TryAddWithoutValidation("X-API-Key", credentials["Security__OperatorKeys__0__Key"]);
        using var snapshot = await client2.SendAsync(read);
        Assert.Equal(HttpStatusCode.OK, snapshot.StatusCode);
        Assert.Contains("\"Placed\"", await snapshot.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The probes of the Kubernetes manifests, once the health endpoints exist on this branch.
        foreach (var path in new[] { "/health/ready", "/health/live" })
        {
            using var probe = await client1.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(probe.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{path} answered {probe.StatusCode}");
        }

        // SIGTERM (docker stop, the kubelet, systemd) is a graceful shutdown: exit code 0, the silo leaves the cluster.
        Assert.Equal(0, await silo2.TerminateAsync(Patience));
        await Wait.UntilAsync(
            async () => (await MembershipRow.ReadAsync(connectionString, clusterId)).Count(r => r.Status == MembershipRow.Active) == 1,
            Patience,
            "the terminated silo to leave the membership");
        Assert.Equal(0, await silo1.TerminateAsync(Patience));
    }

    [Fact]
    public async Task The_published_host_exits_78_naming_the_key_of_an_invalid_port()
    {
        var connectionString = await fixture.Postgres.CreateDatabaseAsync("published_invalid");
        var (environment, _) = SiloEnvironment("silo1", connectionString, $"invalid-{Guid.NewGuid():N}");
        environment["Orleans__SiloPort"] = "70000";
        await using var silo = HostProcess.Start(fixture.Executable, environment);

        Assert.Equal(78, await silo.WaitForExitAsync(Patience));
        Assert.Contains("Configuration error, the host did not start: Orleans:SiloPort must be between 1 and 65535", silo.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The environment compose.yaml gives <paramref name="service"/> (plus its env_file), with what cannot be the same on
    /// one machine replaced: the database, the cluster id, the ports, and the advertised host name (compose's service
    /// name; here a name that resolves to this machine).
    /// </summary>
    private static (Dictionary<string, string> Environment, int HttpPort) SiloEnvironment(string service, string connectionString, string clusterId)
    {
        var compose = DeployFiles.ComposeEnvironments(Path.Combine(DeployFiles.Deploy, "compose.yaml"))[service];
        var environment = new Dictionary<string, string>(DeployFiles.EnvFile(Path.Combine(DeployFiles.Deploy, ".env.example")), StringComparer.Ordinal);
        foreach (var (name, value) in compose)
        {
            environment[name] = value;
        }

        Assert.Equal(service, environment["Orleans__AdvertisedAddress"]);
        var httpPort = FreePort.Get();
        environment["ASPNETCORE_HTTP_PORTS"] = httpPort.ToString(CultureInfo.InvariantCulture);
        environment["ConnectionStrings__Orleans"] = connectionString;
        environment["Orleans__ClusterId"] = clusterId;
        environment["Orleans__SiloPort"] = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        environment["Orleans__GatewayPort"] = FreePort.Get().ToString(CultureInfo.InvariantCulture);
        environment["Orleans__AdvertisedAddress"] = "localhost";
        environment["Logging__LogLevel__Default"] = "Warning";
        return (environment, httpPort);
    }

    private static Task WaitForRootAsync(HttpClient client, HostProcess silo) =>
        Wait.UntilAsync(
            async () =>
            {
                Assert.False(silo.HasExited, "the silo exited:\n" + silo.Output);
                try
                {
                    using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            Patience,
            "GET / to answer 200");
}
