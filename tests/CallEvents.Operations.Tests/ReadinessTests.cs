using System.Net;
using System.Text.Json;
using CallEvents.TestSupport;

namespace CallEvents.Operations.Tests;

/// <summary>The probes against a real PostgreSQL that stops and comes back.</summary>
[Collection(OperationsCollection.Name)]
public sealed class ReadinessTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ready_turns_503_while_PostgreSQL_is_down_and_200_when_it_is_back_without_a_restart()
    {
        var server = postgres.Server;
        Assert.True(server.CanRestart, "this test stops the server: it needs the throwaway one, not CALLEVENTS_TEST_POSTGRES");
        await using var host = await Hosts.StartPostgresAsync(await server.CreateDatabaseAsync("ready"));

        var (status, body) = await ReadyAsync(host);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["silo", "storage", "shutdown"], Checks(body).Select(c => c.Name));
        Assert.All(Checks(body), c => Assert.Equal("Healthy", c.Status));

        try
        {
            await server.StopAsync();
            await Wait.UntilAsync(async () => (await ReadyAsync(host)).Status == HttpStatusCode.ServiceUnavailable, Patience, "/health/ready to answer 503 with PostgreSQL down");
            (status, body) = await ReadyAsync(host);
            var storage = Checks(body).Single(c => c.Name == "storage");
            Assert.Equal("Unhealthy", storage.Status);
            Assert.DoesNotContain("Password", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Host=", body, StringComparison.OrdinalIgnoreCase);

            // The process itself is fine: liveness does not depend on the database.
            using var live = await host.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            await server.StartAsync();
        }

        await Wait.UntilAsync(async () => (await ReadyAsync(host)).Status == HttpStatusCode.OK, Patience, "/health/ready to answer 200 once PostgreSQL is back");
    }

    [Fact]
    public async Task In_embedded_mode_storage_is_healthy_and_the_probes_need_no_credentials()
    {
        await using var host = await LoopbackHost.StartAsync(new LoopbackHostOptions { Args = [$"--Security:OperatorKeys:0:Key={Deliveries.OperatorKey}"] });
        var (status, body) = await ReadyAsync(host);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(Checks(body), c => c.Name == "storage" && c.Status == "Healthy");
        using var live = await host.Http.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Stopping_the_host_turns_it_not_ready_and_new_webhooks_get_503_with_Retry_After()
    {
        await using var host = await LoopbackHost.StartAsync(new LoopbackHostOptions { Args = ["--Shutdown:DrainDelay=00:00:10", "--Shutdown:Timeout=00:00:20"] });
        var stopping = host.App.StopAsync();
        await Wait.UntilAsync(async () => (await ReadyAsync(host)).Status == HttpStatusCode.ServiceUnavailable, Patience, "/health/ready to answer 503 once stopping");
        var (_, body) = await ReadyAsync(host);
        Assert.Contains(Checks(body), c => c.Name == "shutdown" && c.Status == "Unhealthy");

        using var content = Deliveries.Json(Deliveries.Verbex("CallHandler.CallStarted", $"drain-{Guid.NewGuid():N}", Guid.NewGuid().ToString()));
        using var answer = await host.Http.PostAsync(new Uri("/webhooks/verbex", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.NotNull(answer.Headers.RetryAfter);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        await stopping;
    }

    internal static async Task<(HttpStatusCode Status, string Body)> ReadyAsync(LoopbackHost host)
    {
        using var response = await host.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static List<(string Name, string Status)> Checks(string body)
    {
        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.GetProperty("checks").EnumerateArray().Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("status").GetString()!))];
    }
}
