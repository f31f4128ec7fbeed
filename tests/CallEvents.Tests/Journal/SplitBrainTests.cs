using System.Net;
using CallEvents.Journal;
using CallEvents.Lifecycle;
using CallEvents.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.Journal;

/// <summary>
/// A second activation of the same grain (a brief split brain after a silo failure) cannot overwrite: when another
/// writer took the next record, this grain's append fails alone, the delivery gets 503, and the grain reads the stream
/// again, so the provider's retry is applied on top of both.
/// </summary>
[Collection(HostCollection.Name)]
public sealed class SplitBrainTests(HostFixture host)
{
    private static readonly DateTimeOffset At = new(2026, 4, 3, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_append_that_lost_its_sequence_number_is_503_and_the_retry_keeps_both_writers_events()
    {
        var callId = $"split-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", FixtureFiles.SubVerseCall("call.in_queue", callId, At, withAnalysis: false))).StatusCode);

        // The other activation appends record 2 behind this grain's back.
        var serializer = host.Host.Services.GetRequiredService<Serializer>();
        var placed = new IncomingEvent
        {
            Source = EventSources.SubVerse,
            Entity = EntityKind.Call,
            EntityId = callId,
            EventName = "call.placed",
            Type = NormalizedEventType.CallPlaced,
            DedupKey = DedupKey.FromIdentity(EventSources.SubVerse, $"{callId}-elsewhere"),
            ProviderTime = At.AddSeconds(2),
            ReceivedAt = At.AddSeconds(2),
            RawPayload = [],
        };
        var elsewhere = new EntityEntry { Accepted = new StoredEvent(placed, false, false, 0) };
        await host.Journal.Inner.WriteAsync(new JournalWrite(JournalStreams.Call($"subverse/{callId}"), 2, serializer.SerializeToArray(elsewhere)));

        var completed = FixtureFiles.SubVerseCall("call.completed", callId, At.AddSeconds(60));
        var refused = await host.PostAsync("subverse", completed);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);

        var retried = await host.PostAsync("subverse", completed);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.False((await JsonAsync(retried))["duplicate"]!.GetValue<bool>());
        var snapshot = await JsonAsync(await host.Http.GetAsync($"/calls/subverse/{callId}"));
        Assert.Equal(3, snapshot["eventCount"]!.GetValue<int>());
        Assert.NotNull(snapshot["phases"]!["placed"]);
        Assert.Equal("PcaReady", snapshot["status"]!.GetValue<string>());
    }
}
