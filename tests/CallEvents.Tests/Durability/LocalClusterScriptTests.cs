using System.Diagnostics;
using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.Durability;

/// <summary>
/// The scripted check of deploy/local-cluster.sh: three silo processes on one PostgreSQL database, one call's
/// events sent to different silos, one consistent snapshot read from each.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LocalClusterScriptTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Three_silo_processes_share_one_consistent_call()
    {
        var db = await postgres.Server.CreateDatabaseAsync("script");
        var dir = Directory.CreateTempSubdirectory("callevents-cluster-").FullName;
        int[] http = [FreePort.Get(), FreePort.Get(), FreePort.Get()];
        var env = new Dictionary<string, string>
        {
            ["CONNECTION_STRING"] = db,
            ["CALLEVENTS_CLUSTER_DIR"] = dir,
            ["HOST_DLL"] = Path.Combine(AppContext.BaseDirectory, "OrleansHost.dll"),
            ["CLUSTER_ID"] = $"script-{Guid.NewGuid():N}",
            ["HTTP_PORTS"] = string.Join(' ', http),
            ["SILO_PORTS"] = $"{FreePort.Get()} {FreePort.Get()} {FreePort.Get()}",
            ["GATEWAY_PORTS"] = $"{FreePort.Get()} {FreePort.Get()} {FreePort.Get()}",
        };
        try
        {
            var started = await RunScriptAsync(env, "start", "3");
            Assert.True(started.ExitCode == 0, $"start failed:\n{started.Output}");

            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var callId = $"c-{Guid.NewGuid():N}";
            string[] names = ["CallHandler.CallStarted", "CallHandler.CallEnded", "callAnalysis.pcaCompleted"];
            decimal[] times = [1762670195m, 1762670290m, 1762670301m];
            for (var i = 0; i < 3; i++)
            {
                // Reverse order, each through another process.
                var which = 2 - i;
                var body = FixtureFiles.Verbex(names[which], callId, $"{callId}-{which}", times[which]);
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                var response = await client.PostAsync($"http://127.0.0.1:{http[i]}/webhooks/verbex", content);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var snapshots = new List<string>();
            foreach (var port in http)
            {
                var snapshot = await JsonAsync(await client.GetAsync($"http://127.0.0.1:{port}/calls/verbex/{callId}"));
                Assert.Equal("PcaReady", snapshot["status"]!.GetValue<string>());
                Assert.Equal(3, snapshot["eventCount"]!.GetValue<int>());
                Assert.Empty(snapshot["missingPhases"]!.AsArray());
                snapshots.Add(snapshot.ToJsonString());
            }

            Assert.All(snapshots, s => Assert.Equal(snapshots[0], s));
        }
        finally
        {
            var stopped = await RunScriptAsync(env, "stop");
            Assert.True(stopped.ExitCode == 0, $"stop failed:\n{stopped.Output}");
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunScriptAsync(Dictionary<string, string> env, params string[] args)
    {
        var script = Path.Combine(RepoRoot(), "deploy", "local-cluster.sh");
        var start = new ProcessStartInfo("bash", [script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansHost.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("OrleansHost.sln not found above the test directory");
    }
}
