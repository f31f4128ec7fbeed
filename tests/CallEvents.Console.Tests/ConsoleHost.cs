using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CallEvents.Samples;
using CallEvents.TestSupport;

namespace CallEvents.ConsoleTests;

/// <summary>
/// A real host (embedded mode) with an operator key, open webhooks, and callbacks aimed at a <see cref="FailingReceiver"/>:
/// an hour after a Verbex call is PCA-ready, and at once for any other (two quick attempts, so such a callback fails
/// within moments while the receiver fails).
/// </summary>
public sealed class ConsoleHost : IAsyncDisposable
{
    public const string OperatorKey = "console-tests-operator-key-5f0c2e9b";

    private ConsoleHost(LoopbackHost host, FailingReceiver receiver)
    {
        Host = host;
        Receiver = receiver;
    }

    public LoopbackHost Host { get; }

    public FailingReceiver Receiver { get; }

    public string ConsoleUrl => new Uri(Host.BaseAddress, "/console").ToString();

    public static async Task<ConsoleHost> StartAsync()
    {
        var receiver = await FailingReceiver.StartAsync();
        try
        {
            var host = await LoopbackHost.StartAsync(new LoopbackHostOptions
            {
                Args =
                [
                    $"--Security:OperatorKeys:0:Key={OperatorKey}",
                    "--Security:OperatorKeys:0:Name=console-tests",
                    // Only the operator API has credentials; the webhooks stay open for the test's deliveries.
                    "--Security:AllowAnonymous=true",
                    "--FollowUps:MaxAttempts=2",
                    "--FollowUps:FirstRetryDelay=00:00:00.050",
                    $"--FollowUps:Callbacks:DefaultUrl={receiver.Url}/pca",
                    // Verbex calls get a callback an hour later (one to cancel); every other PCA-ready call, one now.
                    "--FollowUps:Callbacks:Rules:0:Name=verbex-review",
                    "--FollowUps:Callbacks:Rules:0:On=PcaReady",
                    "--FollowUps:Callbacks:Rules:0:Source=verbex",
                    "--FollowUps:Callbacks:Rules:0:Delay=01:00:00",
                    "--FollowUps:Callbacks:Rules:1:Name=crm-update",
                    "--Logging:LogLevel:Polly=Error",
                ],
            });
            return new ConsoleHost(host, receiver);
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }

    /// <summary>Posts a sample delivery and checks it was accepted.</summary>
    public async Task PostAsync(Sample sample)
    {
        using var response = await Host.PostWebhookAsync(sample.Source, sample.Body, sample.Headers.Select(h => (h.Key, h.Value)));
        Assert.True(response.IsSuccessStatusCode, $"{sample.EventName} of {sample.Key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A GET on the operator API with the operator key.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        return await Host.Http.SendAsync(request);
    }

    /// <summary>Waits until the call's only follow-up action has <paramref name="status"/>.</summary>
    public Task WaitForActionAsync(string key, string status) => Wait.UntilAsync(
        async () =>
        {
            using var response = await GetAsync($"/calls/{key}/follow-ups");
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return answer["followUps"]!.AsArray().SelectMany(f => f!["actions"]!.AsArray()).Any(a => a!["status"]!.GetValue<string>() == status);
        },
        TimeSpan.FromSeconds(30),
        $"the callback of {key} to be {status}");

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
