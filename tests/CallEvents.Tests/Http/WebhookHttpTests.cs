using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CallEvents.Tests.Infrastructure;

namespace CallEvents.Tests.Http;

/// <summary>Design §4 against the real host over loopback HTTP.</summary>
[Collection(HostCollection.Name)]
public sealed class WebhookHttpTests(HostFixture host)
{
    private static readonly DateTimeOffset At = new(2026, 4, 1, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("verbex", "verbex/call-started.json", "CallHandler.CallStarted")]
    [InlineData("verbex", "verbex/call-ended.json", "CallHandler.CallEnded")]
    [InlineData("verbex", "verbex/pca-completed.json", "callAnalysis.pcaCompleted")]
    [InlineData("subverse", "subverse/call-placed.json", "call.placed")]
    [InlineData("subverse", "subverse/workflow-in-queue.json", "workflow.in_queue")]
    public async Task Each_fixture_is_accepted_once_then_answered_as_a_duplicate(string source, string file, string eventType)
    {
        var body = FixtureFiles.Bytes(file);
        var first = await host.PostAsync(source, body);
        var firstJson = await JsonAsync(first);
        var again = await host.PostAsync(source, body);
        var againJson = await JsonAsync(again);

        // The fixture files are shared by several tests of this host; the first answer may already be a duplicate.
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(firstJson["received"]!.GetValue<bool>());
        Assert.Equal(eventType, firstJson["eventType"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(againJson["duplicate"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_verbex_call_reconciles_out_of_order_and_is_queryable()
    {
        var callId = $"http-{Guid.NewGuid():N}";
        var pca = FixtureFiles.Verbex("callAnalysis.pcaCompleted", callId, $"{callId}-pca", 1762670301.25m);
        var started = FixtureFiles.Verbex("CallHandler.CallStarted", callId, $"{callId}-start", 1762670195.5m);
        Assert.False((await JsonAsync(await host.PostAsync("verbex", pca)))["duplicate"]!.GetValue<bool>());
        Assert.False((await JsonAsync(await host.PostAsync("verbex", started)))["duplicate"]!.GetValue<bool>());
        Assert.True((await JsonAsync(await host.PostAsync("verbex", pca)))["duplicate"]!.GetValue<bool>());

        var response = await host.Http.GetAsync($"/calls/verbex/{callId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var snapshot = await JsonAsync(response);
        Assert.Equal("PcaReady", snapshot["status"]!.GetValue<string>());
        Assert.Equal("Succeeded", snapshot["outcome"]!.GetValue<string>());
        Assert.Equal(["Ended"], snapshot["missingPhases"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal(2, snapshot["eventCount"]!.GetValue<int>());
        Assert.Equal(1, snapshot["duplicateCount"]!.GetValue<int>());
        Assert.Equal("2025-11-09T06:36:35.5+00:00", snapshot["phases"]!["started"]!.GetValue<string>());
        Assert.Equal("success", snapshot["pca"]!["status"]!.GetValue<string>());

        var history = await JsonAsync(await host.Http.GetAsync($"/calls/verbex/{callId}/events"));
        var events = history["events"]!.AsArray();
        Assert.Equal(2, events.Count);
        Assert.False(events[0]!["late"]!.GetValue<bool>());
        Assert.True(events[1]!["late"]!.GetValue<bool>());
        Assert.Equal(1, events[0]!["duplicates"]!.GetValue<int>());
        Assert.Equal(0, events[1]!["duplicates"]!.GetValue<int>());
        Assert.Equal(JsonNode.Parse(pca)!.ToJsonString(), events[0]!["payload"]!.ToJsonString());
    }

    [Fact]
    public async Task A_workflow_execution_is_queryable()
    {
        var id = $"exec-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", FixtureFiles.SubVerseWorkflow("workflow.started", id, At))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", FixtureFiles.SubVerseWorkflow("workflow.node_execution", id, At.AddSeconds(1), "dial"))).StatusCode);
        var snapshot = await JsonAsync(await host.Http.GetAsync($"/workflows/{id}"));
        Assert.Equal("Started", snapshot["status"]!.GetValue<string>());
        Assert.Equal(1, snapshot["nodeExecutions"]!.GetValue<int>());
        Assert.Equal("dial", snapshot["lastNode"]!.GetValue<string>());
        Assert.Equal(2, (await JsonAsync(await host.Http.GetAsync($"/workflows/{id}/events")))["events"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_unknown_event_name_is_stored_with_202_and_changes_no_state()
    {
        var callId = $"unknown-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", FixtureFiles.SubVerseCall("call.placed", callId, At))).StatusCode);
        var response = await host.PostAsync("subverse", FixtureFiles.SubVerseCall("call.transcribed", callId, At.AddSeconds(3)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.False((await JsonAsync(response))["recognized"]!.GetValue<bool>());

        var snapshot = await JsonAsync(await host.Http.GetAsync($"/calls/subverse/{callId}"));
        Assert.Equal("Placed", snapshot["status"]!.GetValue<string>());
        Assert.Equal(1, snapshot["unrecognizedCount"]!.GetValue<int>());
        var history = await JsonAsync(await host.Http.GetAsync($"/calls/subverse/{callId}/events"));
        Assert.Equal("call.transcribed", history["events"]![1]!["eventName"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "verbex", "{not json", "$" },
        { "verbex", "[1,2,3]", "$" },
        { "verbex", "\"text\"", "$" },
        { "verbex", "{\"eventName\":\"CallHandler.CallEnded\",\"payload\":{\"call_id\":\"c\"}}", "traceId" },
        { "verbex", "{\"eventName\":\"CallHandler.CallEnded\",\"traceId\":\"t\",\"payload\":{}}", "payload.call_id" },
        { "verbex", "{\"eventName\":\"CallHandler.CallEnded\",\"traceId\":\"t\",\"timestamp\":\"x\",\"payload\":{\"call_id\":\"c\"}}", "timestamp" },
        { "verbex", "{\"eventName\":\"CallHandler.CallEnded\",\"traceId\":\"t\",\"traceId\":\"u\",\"payload\":{\"call_id\":\"c\"}}", "$" },
        { "subverse", "{\"createdAt\":\"2025-12-08T10:30:00Z\",\"data\":{\"callId\":\"c\"}}", "eventType" },
        { "subverse", "{\"eventType\":\"call.placed\",\"data\":{}}", "data.callId" },
        { "subverse", "{\"eventType\":\"call.placed\",\"data\":[]}", "data" },
        { "subverse", "{\"eventType\":\"workflow.started\",\"data\":{\"executionId\":5}}", "data.executionId" },
        { "subverse", "{\"eventType\":\"call.placed\",\"createdAt\":\"tomorrow\",\"data\":{\"callId\":\"c\"}}", "createdAt" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_is_a_400_problem_naming_the_field(string source, string body, string field)
    {
        var response = await host.PostAsync(source, Encoding.UTF8.GetBytes(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.DoesNotContain("   at ", problem.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_is_a_400()
    {
        byte[] body = [.. "{\"eventType\":\"call.placed\",\"data\":{\"callId\":\""u8, 0xC3, 0x28, .. "\"}}"u8];
        Assert.Equal(HttpStatusCode.BadRequest, (await host.PostAsync("subverse", body)).StatusCode);
    }

    [Fact]
    public async Task A_mismatched_trace_id_header_is_a_400_and_stores_nothing()
    {
        var callId = $"hdr-{Guid.NewGuid():N}";
        var body = FixtureFiles.Verbex("CallHandler.CallEnded", callId, "trace-in-body", 1762408841m);
        var response = await host.PostAsync("verbex", body, headers: ("X-Webhook-Traceid", "94c950a0-1694-4b7c-9891-9364c261e4e1"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("X-Webhook-Traceid", (await JsonAsync(response))["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/calls/verbex/{callId}")).StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task Non_json_content_types_are_415(string contentType)
    {
        var response = await host.PostAsync("verbex", FixtureFiles.Bytes("verbex/call-ended.json"), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_missing_content_type_is_415()
    {
        var response = await host.Http.PostAsync("/webhooks/verbex", new ByteArrayContent(FixtureFiles.Bytes("verbex/call-ended.json")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task A_json_content_type_with_utf8_charset_is_accepted()
    {
        var callId = $"charset-{Guid.NewGuid():N}";
        var response = await host.PostAsync("verbex", FixtureFiles.Verbex("CallHandler.CallStarted", callId, callId, 1762408841m), "application/json; charset=utf-8");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_one_mebibyte_is_413(bool withContentLength)
    {
        var json = FixtureFiles.Json("subverse/call-placed.json");
        json["data"]!["transcript"] = new string('a', 1024 * 1024);
        var body = Encoding.UTF8.GetBytes(json.ToJsonString());
        HttpContent content = withContentLength ? new ByteArrayContent(body) : new StreamContent(new NonSeekableStream(body));
        content.Headers.ContentType = new("application/json");
        var response = await host.Http.PostAsync("/webhooks/subverse", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Queries_for_unknown_ids_are_404_and_create_no_state()
    {
        var id = $"never-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/calls/verbex/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/calls/verbex/{id}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/workflows/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/calls/nosuchsource/{id}")).StatusCode);
        Assert.DoesNotContain(host.Journal.Inner.StreamNames, s => s.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Past_its_caps_an_entity_counts_repetitive_events_without_payloads_and_never_refuses_a_lifecycle_event()
    {
        // This host keeps the payloads of at most 16 unrecognized or repetitive events per entity.
        var id = $"limit-{Guid.NewGuid():N}";
        for (var i = 0; i < 20; i++)
        {
            var ok = await host.PostAsync("subverse", FixtureFiles.SubVerseWorkflow("workflow.node_execution", id, At.AddSeconds(i), $"n{i}"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var completed = await host.PostAsync("subverse", FixtureFiles.SubVerseWorkflow("workflow.completed", id, At.AddSeconds(99)));
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var again = await host.PostAsync("subverse", FixtureFiles.SubVerseWorkflow("workflow.node_execution", id, At.AddSeconds(19), "n19"));
        Assert.True((await JsonAsync(again))["duplicate"]!.GetValue<bool>(), "a truncated event is still deduplicated");

        var snapshot = await JsonAsync(await host.Http.GetAsync($"/workflows/{id}"));
        Assert.Equal("Completed", snapshot["status"]!.GetValue<string>());
        Assert.Equal(21, snapshot["eventCount"]!.GetValue<int>());
        Assert.Equal(20, snapshot["nodeExecutions"]!.GetValue<int>());
        Assert.Equal("n19", snapshot["lastNode"]!.GetValue<string>());
        Assert.Equal(4, snapshot["truncated"]!["events"]!.GetValue<int>());
        Assert.True(snapshot["truncated"]!["bytes"]!.GetValue<long>() > 0);

        var history = await JsonAsync(await host.Http.GetAsync($"/workflows/{id}/events?limit=500"));
        var kept = history["events"]!.AsArray().Select(e => e!["payloadKept"]!.GetValue<bool>()).ToList();
        Assert.Equal([.. Enumerable.Repeat(true, 16), .. Enumerable.Repeat(false, 4), true], kept);
        Assert.Null(history["events"]![16]!["payload"]);
    }

    [Fact]
    public async Task Unrecognized_events_past_the_caps_never_crowd_out_a_calls_lifecycle()
    {
        var callId = $"junk-{Guid.NewGuid():N}";
        for (var i = 0; i < 18; i++)
        {
            var junk = await host.PostAsync("verbex", FixtureFiles.Verbex($"CallHandler.Junk{i}", callId, $"{callId}-junk{i}", 1762670195m + i));
            Assert.Equal(HttpStatusCode.Accepted, junk.StatusCode);
        }

        var ended = await host.PostAsync("verbex", FixtureFiles.Verbex("CallHandler.CallEnded", callId, $"{callId}-end", 1762670300m));
        Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        var snapshot = await JsonAsync(await host.Http.GetAsync($"/calls/verbex/{callId}"));
        Assert.Equal("Ended", snapshot["status"]!.GetValue<string>());
        Assert.Equal(18, snapshot["unrecognizedCount"]!.GetValue<int>());
        Assert.Equal(2, snapshot["truncated"]!["events"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_history_is_paged_with_an_opaque_cursor()
    {
        var id = $"page-{Guid.NewGuid():N}";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", FixtureFiles.SubVerseWorkflow("workflow.node_execution", id, At.AddSeconds(i), $"p{i}"))).StatusCode);
        }

        var seen = new List<int>();
        string? cursor = null;
        do
        {
            var page = await JsonAsync(await host.Http.GetAsync($"/workflows/{id}/events?limit=2" + (cursor is null ? string.Empty : $"&cursor={cursor}")));
            Assert.Equal(5, page["total"]!.GetValue<int>());
            seen.AddRange(page["events"]!.AsArray().Select(e => e!["sequence"]!.GetValue<int>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal([1, 2, 3, 4, 5], seen);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Http.GetAsync($"/workflows/{id}/events?cursor=bogus")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Http.GetAsync($"/workflows/{id}/events?limit=501")).StatusCode);
    }

    internal static async Task<JsonObject> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text)?.AsObject() ?? throw new InvalidOperationException($"no JSON body in a {(int)response.StatusCode} answer: '{text}'");
    }

    /// <summary>Forces chunked transfer (no Content-Length).</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
