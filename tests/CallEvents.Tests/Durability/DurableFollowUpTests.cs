using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using static CallEvents.Tests.FollowUps.FollowUpFixture;

namespace CallEvents.Tests.Durability;

/// <summary>Follow-ups across full restarts, with the journal in PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DurableFollowUpTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset At = new(2026, 6, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_callback_scheduled_before_a_restart_of_every_silo_fires_once_after_it()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var db = await postgres.Server.CreateDatabaseAsync("callback");
        var cluster = $"callback-{Guid.NewGuid():N}";
        var callId = $"c-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        List<string> args = [.. FollowUpHostArgs.For(receiver, scheduledDelay: TimeSpan.FromSeconds(3)), .. FollowUpHostArgs.LoopbackReceiverAllowed];
        DateTimeOffset due;
        await using (var first = await HostInstance.StartAsync(db, cluster, args))
        {
            Assert.Equal(HttpStatusCode.OK, (await first.PostAsync("subverse", Completed(callId, At, agent: "agent-scheduled"))).StatusCode);
            var followUps = await WaitForFollowUpsAsync(first, $"/calls/{key}/follow-ups", f => Actions(f).Count == 1, "the callback to be scheduled");
            var action = Actions(followUps).Single()!;
            Assert.Equal("Scheduled", action["status"]!.GetValue<string>());
            due = action["dueAt"]!.GetValue<DateTimeOffset>();
        }

        Assert.Empty(receiver.For(key));
        await using var second = await HostInstance.StartAsync(db, cluster, args);
        await Wait.UntilAsync(() => receiver.For(key).Count == 1, TimeSpan.FromSeconds(30), "the scheduled callback after the restart");
        Assert.True(receiver.For(key)[0].At >= due, "the callback must not fire before its due time");
        await WaitForFollowUpsAsync(second, $"/calls/{key}/follow-ups", f => Actions(f).Single()!["status"]!.GetValue<string>() == "Succeeded", "the callback recorded as succeeded");
        await Observe.StaysTrueAsync(() => receiver.For(key).Count == 1, TimeSpan.FromSeconds(2.5), "the callback fired once");
    }

    [Fact]
    public async Task An_emission_stored_but_not_published_before_every_silo_stopped_still_yields_its_follow_up()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var db = await postgres.Server.CreateDatabaseAsync("outbox");
        var cluster = $"outbox-{Guid.NewGuid():N}";
        var callId = $"c-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";

        // The first silo stores the PCA-ready emission with the event but never publishes it (as if it died right
        // after the write), and stops before the emission is due to be republished.
        List<string> drill = [.. FollowUpHostArgs.For(receiver, republishAfter: TimeSpan.FromSeconds(10)), .. FollowUpHostArgs.LoopbackReceiverAllowed, "--Lifecycle:PublishAfterWrite=false"];
        await using (var first = await HostInstance.StartAsync(db, cluster, drill))
        {
            Assert.Equal(HttpStatusCode.OK, (await first.PostAsync("subverse", Completed(callId, At))).StatusCode);
        }

        Assert.Empty(receiver.For(key));
        await using var second = await HostInstance.StartAsync(db, cluster, [.. FollowUpHostArgs.For(receiver), .. FollowUpHostArgs.LoopbackReceiverAllowed]);
        await Wait.UntilAsync(() => receiver.For(key).Count == 1, TimeSpan.FromSeconds(40), "the follow-up of the stored emission after the restart");
        var followUps = await WaitForFollowUpsAsync(second, $"/calls/{key}/follow-ups", f => Actions(f).Any(a => a!["status"]!.GetValue<string>() == "Succeeded"), "the follow-up recorded");
        Assert.Single(Decisions(followUps));
    }
}
