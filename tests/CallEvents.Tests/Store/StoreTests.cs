using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CallEvents.Sweeping;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static CallEvents.Tests.FollowUps.FollowUpFixture;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.Store;

/// <summary>Search, erasure, export, retention and retry of failed actions, against the real host over HTTP.</summary>
[Collection(StoreCollection.Name)]
public sealed class StoreTests(StoreFixture fixture)
{
    private static readonly DateTimeOffset At = new(2026, 8, 1, 9, 0, 0, TimeSpan.Zero);

    private HostInstance Host => fixture.Host;

    [Fact]
    public async Task Search_pages_newest_first_and_loses_or_repeats_nothing_while_new_calls_arrive()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 25; i++)
        {
            await PostAsync("subverse", FixtureFiles.SubVerseCall("call.placed", $"page-{run}-{i:D2}", At, withAnalysis: false));
            fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var seen = new List<string>();
        string? cursor = null;
        var page = 0;
        do
        {
            var answer = await JsonAsync(await Host.Http.GetAsync($"/calls?source=subverse&status=Placed&limit=4{(cursor is null ? "" : $"&cursor={cursor}")}"));
            seen.AddRange(answer["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).Where(id => id.StartsWith($"page-{run}-", StringComparison.Ordinal)));
            cursor = answer["nextCursor"]?.GetValue<string>();

            // New calls keep arriving while the pages are read; they are newer than every page, so never in one.
            await PostAsync("subverse", FixtureFiles.SubVerseCall("call.placed", $"late-{run}-{page++}", At, withAnalysis: false));
            fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, 25).Reverse().Select(i => $"page-{run}-{i:D2}"), seen);
    }

    [Fact]
    public async Task Search_filters_by_status_outcome_stall_anomaly_and_time()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var since = fixture.Clock.GetUtcNow();
        await PostAsync("subverse", FixtureFiles.SubVerseCall("call.completed", $"done-{run}", At));
        await PostAsync("subverse", FixtureFiles.SubVerseCall("call.errored", $"failed-{run}", At, withAnalysis: false));
        await PostAsync("verbex", FixtureFiles.Verbex("CallHandler.CallStarted", $"mixed-{run}", $"mixed-{run}-a", 1762670195m, "org-x"));
        await PostAsync("verbex", FixtureFiles.Verbex("CallHandler.CallEnded", $"mixed-{run}", $"mixed-{run}-b", 1762670299m, "org-y"));
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));

        async Task<List<string>> Ids(string query) =>
            [.. (await JsonAsync(await Host.Http.GetAsync($"/calls?{query}&since={Uri.EscapeDataString(since.ToString("O"))}")))["items"]!.AsArray()
                .Select(i => i!["id"]!.GetValue<string>()).Where(id => id.EndsWith(run, StringComparison.Ordinal))];

        Assert.Equal([$"done-{run}"], await Ids("status=pcaready"));
        Assert.Equal([$"failed-{run}"], await Ids("outcome=Errored"));
        Assert.Equal([$"mixed-{run}"], await Ids("anomaly=organization-mismatch"));
        Assert.Equal([$"mixed-{run}"], await Ids("source=verbex"));
        Assert.Empty(await Ids("stalled=true"));
        Assert.Equal(3, (await Ids("stalled=false")).Count);
        Assert.Empty(await Ids($"until={Uri.EscapeDataString(since.ToString("O"))}"));

        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.GetAsync("/calls?status=Unknown")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.GetAsync("/workflows?outcome=Succeeded")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.GetAsync("/calls?limit=501")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.GetAsync("/calls?since=yesterday")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.GetAsync("/calls?cursor=not-ours")).StatusCode);
        var workflowCursor = (await JsonAsync(await Host.Http.GetAsync("/calls?limit=1")))["nextCursor"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.GetAsync($"/workflows?cursor={workflowCursor}")).StatusCode);
    }

    [Fact]
    public async Task Erasure_removes_a_call_and_its_follow_ups_and_a_redelivery_stays_a_duplicate()
    {
        var callId = $"erase-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        var completed = Completed(callId, At);
        await PostAsync("subverse", FixtureFiles.SubVerseCall("call.placed", callId, At, withAnalysis: false));
        await PostAsync("subverse", completed);
        await Wait.UntilAsync(() => fixture.Receiver.For(key).Count == 1, TimeSpan.FromSeconds(20), "the call's callback");

        var erased = await Host.Http.DeleteAsync($"/calls/{key}");
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/calls/{key}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/calls/{key}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/calls/{key}/follow-ups")).StatusCode);
        Assert.DoesNotContain((await JsonAsync(await Host.Http.GetAsync("/calls?limit=500")))["items"]!.AsArray(), i => i!["key"]!.GetValue<string>() == key);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.DeleteAsync($"/calls/{key}")).StatusCode);

        // A provider's late retry of an erased delivery: acknowledged, counted as a duplicate, not stored again.
        var again = await Host.PostAsync("subverse", completed);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True((await JsonAsync(again))["duplicate"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/calls/{key}")).StatusCode);
        Assert.Single(fixture.Receiver.For(key));
    }

    [Fact]
    public async Task Export_streams_each_stored_delivery_as_one_json_line_with_its_payload()
    {
        var callId = $"export-{Guid.NewGuid():N}";
        var key = $"verbex/{callId}";
        var started = FixtureFiles.Verbex("CallHandler.CallStarted", callId, $"{callId}-s", 1762670195m);
        var ended = FixtureFiles.Verbex("CallHandler.CallEnded", callId, $"{callId}-e", 1762670299m);
        var since = fixture.Clock.GetUtcNow();
        await PostAsync("verbex", started);
        await PostAsync("verbex", ended);
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));

        var perCall = await Host.Http.GetAsync($"/calls/{key}/events?format=ndjson");
        Assert.Equal("application/x-ndjson", perCall.Content.Headers.ContentType?.MediaType);
        var lines = (await perCall.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(JsonNode.Parse(started)!.ToJsonString(), JsonNode.Parse(lines[0])!["payload"]!.ToJsonString());
        Assert.Contains($"\"payload\":{Encoding.UTF8.GetString(ended)}", lines[1], StringComparison.Ordinal);

        var export = await Host.Http.GetAsync($"/export?since={Uri.EscapeDataString(since.ToString("O"))}&until={Uri.EscapeDataString(fixture.Clock.GetUtcNow().ToString("O"))}");
        var exported = (await export.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([key, key], exported.Select(l => l["key"]!.GetValue<string>()));
        Assert.Equal([1, 2], exported.Select(l => l["sequence"]!.GetValue<int>()));
        Assert.Equal(["CallHandler.CallStarted", "CallHandler.CallEnded"], exported.Select(l => l["eventName"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Retention_erases_finished_calls_older_than_its_age_and_keeps_the_rest()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        await PostAsync("subverse", FixtureFiles.SubVerseCall("call.completed", $"old-done-{run}", At));
        await PostAsync("subverse", FixtureFiles.SubVerseCall("call.placed", $"old-open-{run}", At, withAnalysis: false));
        fixture.Clock.Advance(TimeSpan.FromHours(2));
        await PostAsync("subverse", FixtureFiles.SubVerseCall("call.completed", $"new-done-{run}", At));

        var retention = Host.Services.GetRequiredService<IGrainFactory>().GetGrain<IRetentionGrain>(0);
        while (await retention.RunOnceAsync() > 0)
        {
        }

        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/calls/subverse/old-done-{run}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.Http.GetAsync($"/calls/subverse/old-open-{run}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.Http.GetAsync($"/calls/subverse/new-done-{run}")).StatusCode);
    }

    [Fact]
    public async Task A_failed_callback_is_retried_on_request_with_the_same_idempotency_key()
    {
        var callId = $"retry-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        fixture.Receiver.Script(key, 500, 500);
        await PostAsync("subverse", Completed(callId, At));
        var failed = await WaitForFollowUpsAsync(Host, $"/calls/{key}/follow-ups", f => Actions(f).SingleOrDefault()?["status"]?.GetValue<string>() == "Failed", "the callback to fail");
        var actionId = Actions(failed).Single()!["id"]!.GetValue<string>();

        var retry = await Host.Http.PostAsync($"/calls/{key}/follow-ups/{actionId}/retry", null);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var done = await WaitForFollowUpsAsync(Host, $"/calls/{key}/follow-ups", f => Actions(f).Single()!["status"]!.GetValue<string>() == "Succeeded", "the retried callback to succeed");
        Assert.Equal(3, Actions(done).Single()!["attempts"]!.AsArray().Count);
        var received = fixture.Receiver.For(key);
        Assert.Equal(3, received.Count);
        Assert.All(received, r => Assert.Equal(actionId, r.IdempotencyKey));

        Assert.Equal(HttpStatusCode.Conflict, (await Host.Http.PostAsync($"/calls/{key}/follow-ups/{actionId}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.PostAsync($"/calls/{key}/follow-ups/nope/retry", null)).StatusCode);
    }

    private async Task PostAsync(string source, byte[] body)
    {
        var response = await Host.PostAsync(source, body);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
