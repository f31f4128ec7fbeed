using System.Text;
using System.Text.Json.Nodes;
using CallEvents.Tests.Infrastructure;
using static CallEvents.Tests.Infrastructure.AdapterHarness;

namespace CallEvents.Tests.Adapters;

public sealed class VerbexAdapterTests
{
    [Theory]
    [InlineData("verbex/call-started.json", NormalizedEventType.CallStarted, "6910366f2dc3a75642b5a4c0", "ff6e9643-994b-42fc-8a75-8c1a219243e4")]
    [InlineData("verbex/call-ended.json", NormalizedEventType.CallEnded, "690c38dd1a470176859508ef", "598ed907-1a67-492f-999f-d172e473c823")]
    [InlineData("verbex/pca-completed.json", NormalizedEventType.PcaCompleted, "690852542548d87bb5238118", "0d87d633-ce6b-40fb-a54f-722b1bbd8f8b")]
    public void Every_fixture_maps_to_its_event(string file, NormalizedEventType type, string callId, string traceId)
    {
        var body = FixtureFiles.Bytes(file);
        var e = Event(Verbex, body);

        Assert.Equal(EventSources.Verbex, e.Source);
        Assert.Equal(EntityKind.Call, e.Entity);
        Assert.Equal(type, e.Type);
        Assert.Equal(callId, e.EntityId);
        Assert.Equal(DedupKey.FromIdentity("verbex", traceId), e.DedupKey);
        Assert.Equal(body, e.RawPayload);
        Assert.Equal(ReceivedAt, e.ReceivedAt);
        Assert.Equal("success", e.ProviderStatus);
        Assert.NotNull(e.AgentId);
        Assert.NotNull(e.OrganizationId);
    }

    [Fact]
    public void Fractional_unix_seconds_keep_sub_millisecond_precision()
    {
        var e = Event(Verbex, FixtureFiles.Bytes("verbex/call-ended.json"));
        // 1762408841.037144 s
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1762408841).AddTicks(371440), e.ProviderTime);
    }

    [Fact]
    public void Pca_carries_reason_and_its_millisecond_timestamp()
    {
        var e = Event(Verbex, FixtureFiles.Bytes("verbex/pca-completed.json"));
        Assert.Equal("success", e.Reason);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1762153092420), e.PcaCompletedAt);
    }

    [Fact]
    public void Matching_headers_are_accepted()
    {
        var e = Event(
            Verbex,
            FixtureFiles.Bytes("verbex/call-ended.json"),
            ("X-Webhook-Event", "CallHandler.CallEnded"),
            ("X-Webhook-Traceid", "598ed907-1a67-492f-999f-d172e473c823"),
            ("X-Webhook-Timestamp", "2025-11-10T01:01:14.552985018Z"));
        Assert.Equal(NormalizedEventType.CallEnded, e.Type);
    }

    [Fact]
    public void The_guides_header_example_belongs_to_another_delivery_and_is_refused()
    {
        // Fixtures/verbex/headers.txt (the guide's sample headers): its trace id is not the one in any body.
        var headers = File.ReadAllLines(Path.Combine(FixtureFiles.Directory, "verbex/headers.txt"))
            .Skip(1)
            .Select(l => l.Split(':', 2))
            .Select(p => (p[0].Trim(), p[1].Trim()))
            .ToArray();
        var problem = Problem(Verbex, FixtureFiles.Bytes("verbex/call-ended.json"), headers);
        Assert.Equal("X-Webhook-Traceid", problem.Field);
    }

    [Fact]
    public void A_header_event_name_that_disagrees_with_the_body_is_refused()
    {
        var problem = Problem(Verbex, FixtureFiles.Bytes("verbex/call-ended.json"), ("X-Webhook-Event", "CallHandler.CallStarted"));
        Assert.Equal("X-Webhook-Event", problem.Field);
    }

    [Fact]
    public void The_header_event_name_is_used_when_the_body_has_none()
    {
        var json = FixtureFiles.Json("verbex/call-ended.json");
        json.Remove("eventName");
        var e = Event(Verbex, Encoding.UTF8.GetBytes(json.ToJsonString()), ("X-Webhook-Event", "CallHandler.CallEnded"));
        Assert.Equal(NormalizedEventType.CallEnded, e.Type);
    }

    [Fact]
    public void Unknown_event_names_map_to_unknown_and_unknown_fields_are_ignored()
    {
        var json = FixtureFiles.Json("verbex/call-ended.json");
        json["eventName"] = "CallHandler.CallTransferred";
        json["brandNewField"] = new JsonObject { ["nested"] = new JsonArray(1, 2, 3) };
        json["payload"]!["another"] = true;
        var e = Event(Verbex, Encoding.UTF8.GetBytes(json.ToJsonString()));
        Assert.Equal(NormalizedEventType.Unknown, e.Type);
        Assert.Equal("CallHandler.CallTransferred", e.EventName);
    }

    [Theory]
    [InlineData("traceId", null, "traceId")]
    [InlineData("traceId", "", "traceId")]
    [InlineData("traceId", 42, "traceId")]
    [InlineData("eventName", 7, "eventName")]
    [InlineData("eventName", null, "eventName")]
    [InlineData("timestamp", "yesterday", "timestamp")]
    [InlineData("timestamp", -5, "timestamp")]
    [InlineData("organizationId", 12, "organizationId")]
    [InlineData("payload", "x", "payload")]
    [InlineData("payload", null, "payload")]
    [InlineData("payload.call_id", null, "payload.call_id")]
    [InlineData("payload.call_id", 123, "payload.call_id")]
    [InlineData("payload.call_id", "  ", "payload.call_id")]
    [InlineData("payload.agent_id", false, "payload.agent_id")]
    [InlineData("payload.timestamp", "soon", "payload.timestamp")]
    public void Bad_fields_are_named(string path, object? value, string expectedField)
    {
        var json = FixtureFiles.Json("verbex/pca-completed.json");
        var parts = path.Split('.');
        var parent = parts.Length == 1 ? json : json[parts[0]]!.AsObject();
        var name = parts[^1];
        if (value is null)
        {
            parent.Remove(name);
        }
        else
        {
            parent[name] = JsonValue.Create(value);
        }

        var problem = Problem(Verbex, Encoding.UTF8.GetBytes(json.ToJsonString()));
        Assert.Equal(expectedField, problem.Field);
        Assert.Contains(expectedField, problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlong_call_ids_are_refused()
    {
        var json = FixtureFiles.Json("verbex/call-ended.json");
        json["payload"]!["call_id"] = new string('x', 300);
        Assert.Equal("payload.call_id", Problem(Verbex, Encoding.UTF8.GetBytes(json.ToJsonString())).Field);
    }
}
