using System.Text;
using System.Text.Json.Nodes;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.FollowUps;

/// <summary>An embedded host with callback rules, and the loopback receiver they call.</summary>
public sealed class FollowUpFixture : IAsyncLifetime
{
    public CallbackReceiver Receiver { get; private set; } = null!;

    public HostInstance Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Receiver = await CallbackReceiver.StartAsync();
        Host = await HostInstance.StartAsync(null, $"followups-{Guid.NewGuid():N}", FollowUpHostArgs.For(Receiver));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    /// <summary>A SubVerse call.completed with an analysis, for a given agent and sentiment.</summary>
    public static byte[] Completed(string callId, DateTimeOffset at, string sentiment = "positive", string agent = "agent_123")
    {
        var json = JsonNode.Parse(FixtureFiles.SubVerseCall("call.completed", callId, at, sentiment: sentiment))!.AsObject();
        json["data"]!["agentId"] = agent;
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    public static async Task<JsonObject> FollowUpsAsync(HostInstance host, string path)
    {
        var response = await host.Http.GetAsync(path);
        return await JsonAsync(response);
    }

    /// <summary>Waits until the call's follow-ups satisfy <paramref name="condition"/>; returns them.</summary>
    public static async Task<JsonObject> WaitForFollowUpsAsync(HostInstance host, string path, Func<JsonObject, bool> condition, string what, int seconds = 20)
    {
        JsonObject? last = null;
        await Wait.UntilAsync(
            async () =>
            {
                var response = await host.Http.GetAsync(path);
                if (response.StatusCode != System.Net.HttpStatusCode.OK)
                {
                    return false;
                }

                last = await JsonAsync(response);
                return condition(last);
            },
            TimeSpan.FromSeconds(seconds),
            what);
        return last!;
    }

    public static JsonArray Actions(JsonObject followUps) =>
        new([.. followUps["followUps"]!.AsArray().SelectMany(f => f!["actions"]!.AsArray()).Select(a => a!.DeepClone())]);

    public static JsonArray Decisions(JsonObject followUps) =>
        new([.. followUps["followUps"]!.AsArray().SelectMany(f => f!["decisions"]!.AsArray()).Select(a => a!.DeepClone())]);
}

[CollectionDefinition(Name)]
public sealed class FollowUpCollection : ICollectionFixture<FollowUpFixture>
{
    public const string Name = "follow-ups";
}
