using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using NegativeSentimentEscalation;
using static CallEvents.Tests.FollowUps.FollowUpFixture;

namespace CallEvents.Tests.FollowUps;

/// <summary>The worked custom follow-up (samples/NegativeSentimentEscalation) composed into the stock host.</summary>
public sealed class SampleEscalationTests
{
    private static readonly DateTimeOffset At = new(2026, 6, 3, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Negative_calls_are_escalated_once_and_positive_ones_are_not()
    {
        await using var chat = await CallbackReceiver.StartAsync();
        await using var host = await HostInstance.StartAsync(
            null,
            $"sample-{Guid.NewGuid():N}",
            ["--FollowUps:FirstRetryDelay=00:00:00.100", $"--Escalation:WebhookUrl={chat.Url}/hooks/chat"],
            configureSilo: silo => silo.AddNegativeSentimentEscalation());

        var unhappy = $"unhappy-{Guid.NewGuid():N}";
        var happy = $"happy-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", Completed(happy, At, sentiment: "positive"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", Completed(unhappy, At, sentiment: "negative"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", Completed(unhappy, At, sentiment: "negative"))).StatusCode);

        await Wait.UntilAsync(() => chat.For($"subverse/{unhappy}").Count == 1, TimeSpan.FromSeconds(20), "the chat escalation");
        var message = chat.For($"subverse/{unhappy}").Single();
        Assert.Equal("/hooks/chat", message.Path);
        Assert.Contains(unhappy, message.Body["text"]!.GetValue<string>(), StringComparison.Ordinal);

        // Both calls got a decision from the sample grain (one acted, one not), listed by the follow-ups API.
        var escalation = typeof(NegativeSentimentEscalationGrain).FullName!;
        var unhappyFollowUps = await WaitForFollowUpsAsync(host, $"/calls/subverse/{unhappy}/follow-ups", f => f["followUps"]!.AsArray().Any(r => r!["followUp"]!.GetValue<string>() == escalation && r["actions"]!.AsArray().Any(a => a!["status"]!.GetValue<string>() == "Succeeded")), "the escalation recorded");
        Assert.Single(unhappyFollowUps["followUps"]!.AsArray(), r => r!["followUp"]!.GetValue<string>() == escalation);
        var happyFollowUps = await WaitForFollowUpsAsync(host, $"/calls/subverse/{happy}/follow-ups", f => f["followUps"]!.AsArray().Any(r => r!["followUp"]!.GetValue<string>() == escalation), "the no-action decision recorded");
        Assert.Empty(happyFollowUps["followUps"]!.AsArray().Single(r => r!["followUp"]!.GetValue<string>() == escalation)!["actions"]!.AsArray());
        await Observe.StaysTrueAsync(() => chat.All.Count == 1, TimeSpan.FromSeconds(1.5), "one escalation in all");
    }
}
