using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using Xunit.Abstractions;
using static CallEvents.Tests.FollowUps.FollowUpFixture;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.FollowUps;

/// <summary>Streams, follow-up decisions and durable callbacks (docs/design.md, rule 5); the watchdog is in <see cref="StalledCallTests"/>.</summary>
[Collection(FollowUpCollection.Name)]
public sealed class FollowUpTests(FollowUpFixture fixture, ITestOutputHelper output)
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 9, 0, 0, TimeSpan.Zero);

    private HostInstance Host => fixture.Host;

    private CallbackReceiver Receiver => fixture.Receiver;

    [Fact]
    public async Task Callbacks_are_signed_the_Standard_Webhooks_way_and_verify_as_a_receiver_would_check_them()
    {
        var callId = $"signed-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", Completed(callId, At))).StatusCode);
        await Wait.UntilAsync(() => Receiver.For(key).Count == 1, TimeSpan.FromSeconds(20), "the signed callback");
        var callback = Receiver.For(key)[0];

        // What a receiving CRM does, written from the scheme (not with the service's own code): HMAC-SHA256 over
        // "{webhook-id}.{webhook-timestamp}.{body}" with the shared key, compared with the v1 signature.
        Assert.Equal(callback.IdempotencyKey, callback.Headers["webhook-id"]);
        var timestamp = long.Parse(callback.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.FromUnixTimeSeconds(timestamp), callback.At.AddMinutes(-5), callback.At.AddMinutes(5));
        using var hmac = new System.Security.Cryptography.HMACSHA256(FollowUpHostArgs.CallbackSigningKey);
        var signed = System.Text.Encoding.UTF8.GetBytes($"{callback.Headers["webhook-id"]}.{callback.Headers["webhook-timestamp"]}.");
        var expected = "v1," + Convert.ToBase64String(hmac.ComputeHash([.. signed, .. callback.RawBody]));
        Assert.Contains(expected, callback.Headers["webhook-signature"].Split(' '));
    }

    [Fact]
    public async Task Each_pca_ready_call_gets_one_decision_and_one_callback_whatever_the_order()
    {
        var random = new Random(TestSeed.Choose(output));
        var run = Guid.NewGuid().ToString("N")[..8];
        var keys = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var callId = $"once-{run}-{i}";
            keys.Add($"subverse/{callId}");
            List<byte[]> deliveries =
            [
                FixtureFiles.SubVerseCall("call.in_queue", callId, At, withAnalysis: false),
                FixtureFiles.SubVerseCall("call.placed", callId, At.AddSeconds(1), withAnalysis: false),
                Completed(callId, At.AddSeconds(60)),
            ];
            deliveries.Add(deliveries[random.Next(3)]);
            deliveries.Add(deliveries[2]);
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(deliveries));
            foreach (var body in deliveries)
            {
                Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", body)).StatusCode);
            }
        }

        var verbexCall = $"once-verbex-{run}";
        keys.Add($"verbex/{verbexCall}");
        foreach (var (name, time) in new[] { ("callAnalysis.pcaCompleted", 1762670301m), ("CallHandler.CallStarted", 1762670195m), ("CallHandler.CallEnded", 1762670290m), ("callAnalysis.pcaCompleted", 1762670301m) })
        {
            Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", FixtureFiles.Verbex(name, verbexCall, $"{verbexCall}-{name}", time))).StatusCode);
        }

        foreach (var key in keys)
        {
            await Wait.UntilAsync(() => Receiver.For(key).Count >= 1, TimeSpan.FromSeconds(20), $"a callback for {key}");
            var followUps = await WaitForFollowUpsAsync(Host, $"/calls/{key}/follow-ups", f => Actions(f).Any(a => a!["status"]!.GetValue<string>() == "Succeeded"), $"the callback of {key} recorded as succeeded");
            var decision = Assert.Single(Decisions(followUps));
            Assert.Equal(StreamNamespaces.CallPcaReady, decision!["namespace"]!.GetValue<string>());
            Assert.Single(Actions(followUps));
        }

        await Observe.StaysTrueAsync(() => keys.All(k => Receiver.For(k).Count == 1), TimeSpan.FromSeconds(2.5), "exactly one callback per PCA-ready call");
        var verbexBody = Receiver.For($"verbex/{verbexCall}").Single().Body;
        Assert.Equal("every-pca", verbexBody["rule"]!.GetValue<string>());
        Assert.Equal("success", verbexBody["event"]!["pca"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_receiver_failing_twice_then_succeeding_gets_one_success_with_three_attempts_recorded()
    {
        var callId = $"flaky-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        Receiver.Script(key, 500, 503);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", Completed(callId, At))).StatusCode);

        var followUps = await WaitForFollowUpsAsync(Host, $"/calls/{key}/follow-ups", f => Actions(f).Any(a => a!["status"]!.GetValue<string>() != "Scheduled"), "the flaky callback to finish");
        var action = Assert.Single(Actions(followUps))!;
        Assert.Equal("Succeeded", action["status"]!.GetValue<string>());
        var attempts = action["attempts"]!.AsArray();
        Assert.Equal([false, false, true], attempts.Select(a => a!["succeeded"]!.GetValue<bool>()));
        Assert.Equal("HTTP 500", attempts[0]!["outcome"]!.GetValue<string>());

        var received = Receiver.For(key);
        Assert.Equal(3, received.Count);
        Assert.Single(received, r => r.AnsweredStatus == 200);
        Assert.All(received, r => Assert.Equal(action["id"]!.GetValue<string>(), r.IdempotencyKey));
    }

    [Fact]
    public async Task Negative_sentiment_goes_to_the_escalation_rule()
    {
        var callId = $"neg-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", Completed(callId, At, sentiment: "negative"))).StatusCode);
        await Wait.UntilAsync(() => Receiver.For($"subverse/{callId}").Count == 1, TimeSpan.FromSeconds(20), "the escalation callback");
        var callback = Receiver.For($"subverse/{callId}").Single();
        Assert.Equal("/negative", callback.Path);
        Assert.Equal("escalate-negative", callback.Body["rule"]!.GetValue<string>());
        Assert.Equal("negative", callback.Body["event"]!["pca"]!["analysis"]!["sentiment"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_scheduled_callback_can_be_cancelled_once()
    {
        var callId = $"cancel-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", Completed(callId, At, agent: "agent-slow"))).StatusCode);
        var followUps = await WaitForFollowUpsAsync(Host, $"/calls/{key}/follow-ups", f => Actions(f).Count == 1, "the slow callback to be scheduled");
        var action = Actions(followUps).Single()!;
        Assert.Equal("Scheduled", action["status"]!.GetValue<string>());
        Assert.Equal("slow-agent", action["name"]!.GetValue<string>());
        var id = action["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await Host.Http.DeleteAsync($"/calls/{key}/follow-ups/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Host.Http.DeleteAsync($"/calls/{key}/follow-ups/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.DeleteAsync($"/calls/{key}/follow-ups/nope")).StatusCode);
        var after = await FollowUpsAsync(Host, $"/calls/{key}/follow-ups");
        Assert.Equal("Cancelled", Actions(after).Single()!["status"]!.GetValue<string>());
        Assert.Empty(Receiver.For(key));
    }

    [Fact]
    public async Task A_completed_workflow_gets_its_callback_once()
    {
        var executionId = $"wf-{Guid.NewGuid():N}";
        foreach (var type in new[] { "workflow.completed", "workflow.started", "workflow.completed" })
        {
            Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", FixtureFiles.SubVerseWorkflow(type, executionId, At))).StatusCode);
        }

        var key = $"subverse/{executionId}";
        await Wait.UntilAsync(() => Receiver.For(key).Count == 1, TimeSpan.FromSeconds(20), "the workflow callback");
        Assert.Equal("/workflow", Receiver.For(key).Single().Path);
        var followUps = await WaitForFollowUpsAsync(Host, $"/workflows/{executionId}/follow-ups", f => Actions(f).Any(a => a!["status"]!.GetValue<string>() == "Succeeded"), "the workflow callback recorded");
        Assert.Equal(StreamNamespaces.WorkflowCompleted, Assert.Single(Decisions(followUps))!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public async Task Follow_ups_of_an_unknown_call_are_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/calls/verbex/none-{Guid.NewGuid():N}/follow-ups")).StatusCode);
    }
}
