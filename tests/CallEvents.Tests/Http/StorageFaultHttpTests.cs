using System.Net;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.Http;

/// <summary>"A 2xx means stored": when the write fails or is too slow, the answer is 503 + Retry-After, and a retry is applied.</summary>
[Collection(HostCollection.Name)]
public sealed class StorageFaultHttpTests(HostFixture host)
{
    private static readonly DateTimeOffset At = new(2026, 4, 2, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_failed_write_is_503_and_the_retry_is_applied_not_treated_as_duplicate()
    {
        var callId = $"fail-{Guid.NewGuid():N}";
        var body = FixtureFiles.SubVerseCall("call.placed", callId, At);
        HttpResponseMessage failed;
        host.Journal.FailWrites = true;
        try
        {
            failed = await host.PostAsync("subverse", body);
        }
        finally
        {
            host.Journal.FailWrites = false;
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("7", failed.Headers.GetValues("Retry-After").Single());
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);

        var retried = await host.PostAsync("subverse", body);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.False((await JsonAsync(retried))["duplicate"]!.GetValue<bool>());
        var snapshot = await JsonAsync(await host.Http.GetAsync($"/calls/subverse/{callId}"));
        Assert.Equal(1, snapshot["eventCount"]!.GetValue<int>());
        Assert.Equal(0, snapshot["duplicateCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_write_slower_than_the_deadline_is_503_and_a_later_retry_finds_it_stored()
    {
        var callId = $"slow-{Guid.NewGuid():N}";
        var body = FixtureFiles.SubVerseCall("call.in_queue", callId, At);
        host.Journal.WriteDelay = TimeSpan.FromSeconds(2);
        HttpResponseMessage slow;
        try
        {
            slow = await host.PostAsync("subverse", body);
        }
        finally
        {
            host.Journal.WriteDelay = TimeSpan.Zero;
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, slow.StatusCode);
        Assert.True(slow.Headers.Contains("Retry-After"));

        // The grain finishes its (slow) write after the deadline; the provider's retry (again on 503, as SubVerse
        // does) is then answered as a duplicate: stored once, acknowledged once.
        HttpResponseMessage? retried = null;
        await Wait.UntilAsync(
            async () => (retried = await host.PostAsync("subverse", body)).StatusCode != HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(20),
            "a non-503 answer to the retry");
        Assert.Equal(HttpStatusCode.OK, retried!.StatusCode);
        Assert.True((await JsonAsync(retried))["duplicate"]!.GetValue<bool>());
    }
}
