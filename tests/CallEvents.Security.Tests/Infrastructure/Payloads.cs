using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>Provider payloads shaped like the guides' examples.</summary>
public static class Payloads
{
    public static readonly DateTimeOffset At = new(2026, 4, 1, 8, 0, 0, TimeSpan.Zero);

    public static JsonObject VerbexJson(string eventName, string callId, string traceId, string? organizationId, decimal timestamp = 1762670195.5m) => new()
    {
        ["organizationId"] = organizationId,
        ["traceId"] = traceId,
        ["eventName"] = eventName,
        ["timestamp"] = timestamp,
        ["payload"] = new JsonObject
        {
            ["call_id"] = callId,
            ["agent_id"] = "c1b13ac3-aaf0-407f-8de2-19933d39afe0",
            ["status"] = "success",
        },
    };

    public static byte[] Verbex(string eventName, string callId, string traceId, string? organizationId, decimal timestamp = 1762670195.5m) =>
        Encoding.UTF8.GetBytes(VerbexJson(eventName, callId, traceId, organizationId, timestamp).ToJsonString());

    public static JsonObject SubVerseCallJson(string eventType, string callId, DateTimeOffset createdAt) => new()
    {
        ["eventType"] = eventType,
        ["createdAt"] = createdAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["data"] = new JsonObject
        {
            ["callId"] = callId,
            ["customerNumber"] = "+910000000000",
            ["callStatus"] = eventType,
            ["agentId"] = "agent_123",
            ["agentName"] = "Customer Support Agent",
            ["callDirection"] = "outbound",
            ["transcript"] = "Full conversation transcript...",
        },
    };

    public static byte[] SubVerseCall(string eventType, string callId, DateTimeOffset createdAt) =>
        Encoding.UTF8.GetBytes(SubVerseCallJson(eventType, callId, createdAt).ToJsonString());

    public static JsonObject SubVerseWorkflowJson(string eventType, string executionId, DateTimeOffset createdAt) => new()
    {
        ["eventType"] = eventType,
        ["createdAt"] = createdAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["data"] = new JsonObject
        {
            ["workflowId"] = "wf_456",
            ["workflowName"] = "Order Confirmation Campaign",
            ["executionId"] = executionId,
            ["status"] = "in_queue",
            ["nodesExecuted"] = 5,
        },
    };

    public static byte[] SubVerseWorkflow(string eventType, string executionId, DateTimeOffset createdAt) =>
        Encoding.UTF8.GetBytes(SubVerseWorkflowJson(eventType, executionId, createdAt).ToJsonString());

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text)?.AsObject() ?? throw new InvalidOperationException($"no JSON body in a {(int)response.StatusCode} answer: '{text}'");
    }
}
