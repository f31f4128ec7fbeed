using System.Text;
using System.Text.Json.Nodes;

namespace CallEvents.Tests.Infrastructure;

/// <summary>The provider guides' sample payloads (the providers' documented sample payloads) and variants built from them.</summary>
public static class FixtureFiles
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static byte[] Bytes(string relativePath) => File.ReadAllBytes(Path.Combine(Directory, relativePath));

    public static JsonObject Json(string relativePath) => JsonNode.Parse(Bytes(relativePath))!.AsObject();

    public static IReadOnlyList<string> VerbexFiles { get; } = ["verbex/call-started.json", "verbex/call-ended.json", "verbex/pca-completed.json"];

    public static readonly string[] SubVerseCallEvents = ["call.in_queue", "call.placed", "call.errored", "call.canceled", "call.expired", "call.completed"];

    public static readonly string[] SubVerseWorkflowEvents = ["workflow.in_queue", "workflow.started", "workflow.node_execution", "workflow.failed", "workflow.completed"];

    /// <summary>A Verbex event for one call, shaped like the guide's examples.</summary>
    public static byte[] Verbex(string eventName, string callId, string traceId, decimal timestamp, string? organizationId = "org-1")
    {
        var file = eventName switch
        {
            "CallHandler.CallStarted" => "verbex/call-started.json",
            "CallHandler.CallEnded" => "verbex/call-ended.json",
            _ => "verbex/pca-completed.json",
        };
        var json = Json(file);
        json["eventName"] = eventName;
        json["traceId"] = traceId;
        json["timestamp"] = timestamp;
        json["organizationId"] = organizationId;
        json["payload"]!["call_id"] = callId;
        json["payload"]!["agent_id"] = "agent-1";
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    /// <summary>A SubVerse call event shaped like the guide's call example, with a given type, id and time.</summary>
    public static byte[] SubVerseCall(string eventType, string callId, DateTimeOffset createdAt, bool withAnalysis = true, string? sentiment = "positive")
    {
        var json = Json("subverse/call-placed.json");
        json["eventType"] = eventType;
        json["createdAt"] = createdAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var data = json["data"]!.AsObject();
        data["callId"] = callId;
        data["callStatus"] = eventType.Replace('.', '_');
        if (!withAnalysis)
        {
            data.Remove("analysis");
        }
        else
        {
            data["analysis"]!["sentiment"] = sentiment;
        }

        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    /// <summary>A SubVerse workflow event shaped like the guide's workflow example.</summary>
    public static byte[] SubVerseWorkflow(string eventType, string executionId, DateTimeOffset createdAt, string? nodeName = null)
    {
        var json = Json("subverse/workflow-in-queue.json");
        json["eventType"] = eventType;
        json["createdAt"] = createdAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var data = json["data"]!.AsObject();
        data["executionId"] = executionId;
        data["status"] = eventType["workflow.".Length..];
        if (nodeName is not null)
        {
            data["nodeName"] = nodeName;
        }

        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }
}
