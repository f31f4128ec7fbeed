using System.Text;
using System.Text.Json.Nodes;
using CallEvents.Tests.Infrastructure;
using static CallEvents.Tests.Infrastructure.AdapterHarness;

namespace CallEvents.Tests.Adapters;

public sealed class SubVerseAdapterTests
{
    private static readonly DateTimeOffset At = new(2025, 12, 8, 10, 30, 0, TimeSpan.Zero);

    [Fact]
    public void The_call_fixture_maps_with_all_its_fields()
    {
        var body = FixtureFiles.Bytes("subverse/call-placed.json");
        var e = Event(SubVerse, body);

        Assert.Equal(EntityKind.Call, e.Entity);
        Assert.Equal(NormalizedEventType.CallPlaced, e.Type);
        Assert.Equal("call_xyz789", e.EntityId);
        Assert.Equal(At, e.ProviderTime);
        Assert.Equal("agent_123", e.AgentId);
        Assert.Equal("Customer Support Agent", e.AgentName);
        Assert.Equal("call_placed", e.ProviderStatus);
        Assert.Equal("outbound", e.CallDirection);
        Assert.Equal("positive", e.Analysis?.Sentiment);
        Assert.Equal("Customer inquiry resolved successfully", e.Analysis?.Summary);
        Assert.Equal(DedupKey.FromBytes(body), e.DedupKey);
        Assert.Equal(body, e.RawPayload);
    }

    [Fact]
    public void The_workflow_fixture_maps_with_all_its_fields()
    {
        var e = Event(SubVerse, FixtureFiles.Bytes("subverse/workflow-in-queue.json"));

        Assert.Equal(EntityKind.WorkflowExecution, e.Entity);
        Assert.Equal(NormalizedEventType.WorkflowQueued, e.Type);
        Assert.Equal("exec_789", e.EntityId);
        Assert.Equal("wf_456", e.WorkflowId);
        Assert.Equal("Order Confirmation Campaign", e.WorkflowName);
        Assert.Equal(5, e.ReportedNodesExecuted);
        Assert.Equal(new DateTimeOffset(2025, 12, 8, 10, 35, 0, TimeSpan.Zero), e.ProviderTime);
    }

    [Theory]
    [InlineData("call.in_queue", NormalizedEventType.CallQueued)]
    [InlineData("call.placed", NormalizedEventType.CallPlaced)]
    [InlineData("call.errored", NormalizedEventType.CallErrored)]
    [InlineData("call.canceled", NormalizedEventType.CallCanceled)]
    [InlineData("call.expired", NormalizedEventType.CallExpired)]
    [InlineData("call.completed", NormalizedEventType.CallCompleted)]
    [InlineData("call.transferred", NormalizedEventType.Unknown)]
    public void Every_call_event_type_maps(string eventType, NormalizedEventType expected)
    {
        var e = Event(SubVerse, FixtureFiles.SubVerseCall(eventType, "c1", At));
        Assert.Equal(expected, e.Type);
        Assert.Equal(EntityKind.Call, e.Entity);
        Assert.Equal(eventType, e.EventName);
    }

    [Theory]
    [InlineData("workflow.in_queue", NormalizedEventType.WorkflowQueued)]
    [InlineData("workflow.started", NormalizedEventType.WorkflowStarted)]
    [InlineData("workflow.node_execution", NormalizedEventType.WorkflowNodeExecuted)]
    [InlineData("workflow.failed", NormalizedEventType.WorkflowFailed)]
    [InlineData("workflow.completed", NormalizedEventType.WorkflowCompleted)]
    [InlineData("workflow.paused", NormalizedEventType.Unknown)]
    public void Every_workflow_event_type_maps(string eventType, NormalizedEventType expected)
    {
        var e = Event(SubVerse, FixtureFiles.SubVerseWorkflow(eventType, "x1", At, nodeName: "send-sms"));
        Assert.Equal(expected, e.Type);
        Assert.Equal(EntityKind.WorkflowExecution, e.Entity);
        Assert.Equal("send-sms", e.NodeName);
    }

    [Fact]
    public void A_delivery_id_header_is_the_dedup_key_when_present()
    {
        var first = Event(SubVerse, FixtureFiles.SubVerseCall("call.placed", "c1", At), ("webhook-id", "msg_1"));
        var sameIdOtherBytes = Event(SubVerse, FixtureFiles.SubVerseCall("call.placed", "c1", At.AddSeconds(1)), ("webhook-id", "msg_1"));
        var noHeader = Event(SubVerse, FixtureFiles.SubVerseCall("call.placed", "c1", At));

        Assert.Equal(first.DedupKey, sameIdOtherBytes.DedupKey);
        Assert.NotEqual(first.DedupKey, noHeader.DedupKey);
    }

    [Fact]
    public void Without_an_id_the_exact_bytes_are_the_identity()
    {
        var body = FixtureFiles.SubVerseCall("call.completed", "c1", At);
        var reformatted = Encoding.UTF8.GetBytes(JsonNode.Parse(body)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        Assert.Equal(Event(SubVerse, body).DedupKey, Event(SubVerse, body).DedupKey);
        Assert.NotEqual(Event(SubVerse, body).DedupKey, Event(SubVerse, reformatted).DedupKey);
    }

    [Fact]
    public void Custom_fields_keep_strings_and_render_other_values_as_json()
    {
        var json = FixtureFiles.Json("subverse/call-placed.json");
        json["eventType"] = "call.completed";
        json["data"]!["analysis"]!["customFields"] = new JsonObject { ["intent"] = "refund", ["score"] = 0.8, ["tags"] = new JsonArray("a", "b") };
        var e = Event(SubVerse, Encoding.UTF8.GetBytes(json.ToJsonString()));
        Assert.Equal("refund", e.Analysis!.CustomFields["intent"]);
        Assert.Equal("0.8", e.Analysis.CustomFields["score"]);
        Assert.Equal("[\"a\",\"b\"]", e.Analysis.CustomFields["tags"]);
    }

    [Fact]
    public void A_null_analysis_is_no_analysis()
    {
        var json = FixtureFiles.Json("subverse/call-placed.json");
        json["eventType"] = "call.completed";
        json["data"]!["analysis"] = null;
        Assert.Null(Event(SubVerse, Encoding.UTF8.GetBytes(json.ToJsonString())).Analysis);
    }

    [Theory]
    [InlineData("eventType", null, "eventType")]
    [InlineData("eventType", 5, "eventType")]
    [InlineData("eventType", "agent.updated", "eventType")]
    [InlineData("createdAt", "not a date", "createdAt")]
    [InlineData("createdAt", 1765189800, "createdAt")]
    [InlineData("data", null, "data")]
    [InlineData("data", "[]", "data")]
    [InlineData("data.callId", null, "data.callId")]
    [InlineData("data.callId", 99, "data.callId")]
    [InlineData("data.agentId", 1, "data.agentId")]
    [InlineData("data.analysis", "good", "data.analysis")]
    [InlineData("data.analysis.customFields", "x", "data.analysis.customFields")]
    [InlineData("data.analysis.sentiment", 3, "data.analysis.sentiment")]
    public void Bad_call_fields_are_named(string path, object? value, string expectedField)
    {
        var json = FixtureFiles.Json("subverse/call-placed.json");
        Set(json, path, value);
        var problem = Problem(SubVerse, Encoding.UTF8.GetBytes(json.ToJsonString()));
        Assert.Equal(expectedField, problem.Field);
    }

    [Theory]
    [InlineData("data.executionId", null, "data.executionId")]
    [InlineData("data.executionId", true, "data.executionId")]
    [InlineData("data.nodesExecuted", -1, "data.nodesExecuted")]
    [InlineData("data.nodesExecuted", 2.5, "data.nodesExecuted")]
    [InlineData("data.workflowName", 4, "data.workflowName")]
    public void Bad_workflow_fields_are_named(string path, object? value, string expectedField)
    {
        var json = FixtureFiles.Json("subverse/workflow-in-queue.json");
        Set(json, path, value);
        Assert.Equal(expectedField, Problem(SubVerse, Encoding.UTF8.GetBytes(json.ToJsonString())).Field);
    }

    [Fact]
    public void A_repeated_delivery_id_header_is_refused()
    {
        var problem = Problem(SubVerse, FixtureFiles.SubVerseCall("call.placed", "c1", At), ("webhook-id", "a"), ("webhook-id", "b"));
        Assert.Equal("webhook-id", problem.Field);
    }

    private static void Set(JsonObject json, string path, object? value)
    {
        var parts = path.Split('.');
        var parent = json;
        foreach (var part in parts[..^1])
        {
            parent = parent[part]!.AsObject();
        }

        if (value is null)
        {
            parent.Remove(parts[^1]);
        }
        else if (value is "[]")
        {
            parent[parts[^1]] = new JsonArray();
        }
        else
        {
            parent[parts[^1]] = JsonValue.Create(value);
        }
    }
}
