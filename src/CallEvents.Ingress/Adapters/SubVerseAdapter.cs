using Microsoft.Extensions.Options;

namespace CallEvents.Ingress.Adapters;

/// <summary>
/// SubVerse: six call and five workflow event types, told apart by the <c>eventType</c> prefix. SubVerse
/// sends no delivery id, so a configured delivery-id header is used when present, else the SHA-256 of the
/// exact body (a retry resends the same bytes).
/// </summary>
public sealed class SubVerseAdapter(IOptions<IngressOptions> options) : IProviderAdapter
{
    private static readonly Dictionary<string, NormalizedEventType> EventTypes = new(StringComparer.Ordinal)
    {
        ["call.in_queue"] = NormalizedEventType.CallQueued,
        ["call.placed"] = NormalizedEventType.CallPlaced,
        ["call.errored"] = NormalizedEventType.CallErrored,
        ["call.canceled"] = NormalizedEventType.CallCanceled,
        ["call.expired"] = NormalizedEventType.CallExpired,
        ["call.completed"] = NormalizedEventType.CallCompleted,
        ["workflow.in_queue"] = NormalizedEventType.WorkflowQueued,
        ["workflow.started"] = NormalizedEventType.WorkflowStarted,
        ["workflow.node_execution"] = NormalizedEventType.WorkflowNodeExecuted,
        ["workflow.failed"] = NormalizedEventType.WorkflowFailed,
        ["workflow.completed"] = NormalizedEventType.WorkflowCompleted,
    };

    /// <inheritdoc/>
    public string Source => EventSources.SubVerse;

    /// <inheritdoc/>
    public ParseResult Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var root = request.Root;
        var read = new FieldReader();
        var eventType = read.RequiredString(root, "eventType", "eventType");
        var createdAt = read.IsoTime(root, "createdAt", "createdAt");
        var data = read.RequiredObject(root, "data", "data");
        if (read.Problem is { } early)
        {
            return early;
        }

        var entity = eventType.StartsWith("call.", StringComparison.Ordinal) ? EntityKind.Call
            : eventType.StartsWith("workflow.", StringComparison.Ordinal) ? EntityKind.WorkflowExecution
            : (EntityKind?)null;
        if (entity is null)
        {
            return new InputProblem("eventType", $"'eventType' '{eventType}' is neither a call.* nor a workflow.* event.");
        }

        var incoming = entity == EntityKind.Call ? ReadCall(read, data) : ReadWorkflow(read, data);
        var reason = read.String(data, "reason", "data.reason") ?? read.String(data, "errorMessage", "data.errorMessage");
        var deliveryId = DeliveryId(request, read);
        if (read.Problem is { } problem)
        {
            return problem;
        }

        return incoming with
        {
            EventName = eventType,
            Type = EventTypes.GetValueOrDefault(eventType, NormalizedEventType.Unknown),
            DedupKey = deliveryId is null ? DedupKey.FromBytes(request.Body.Span) : DedupKey.FromIdentity(Source, deliveryId),
            ProviderTime = createdAt,
            ReceivedAt = request.ReceivedAt,
            Reason = reason,
            RawPayload = request.Body.ToArray(),
        };
    }

    private IncomingEvent ReadCall(FieldReader read, System.Text.Json.JsonElement data)
    {
        var analysisElement = read.Object(data, "analysis", "data.analysis");
        CallAnalysis? analysis = null;
        if (analysisElement is { } a)
        {
            analysis = new CallAnalysis
            {
                Sentiment = read.String(a, "sentiment", "data.analysis.sentiment"),
                Summary = read.String(a, "summary", "data.analysis.summary"),
                CustomFields = read.CustomFields(a, "customFields", "data.analysis.customFields"),
            };
        }

        return Blank(EntityKind.Call, read.EntityId(data, "callId", "data.callId")) with
        {
            AgentId = read.String(data, "agentId", "data.agentId"),
            AgentName = read.String(data, "agentName", "data.agentName"),
            ProviderStatus = read.String(data, "callStatus", "data.callStatus"),
            CustomerNumber = read.String(data, "customerNumber", "data.customerNumber"),
            CallDirection = read.String(data, "callDirection", "data.callDirection"),
            Analysis = analysis,
        };
    }

    private IncomingEvent ReadWorkflow(FieldReader read, System.Text.Json.JsonElement data) =>
        Blank(EntityKind.WorkflowExecution, read.EntityId(data, "executionId", "data.executionId")) with
        {
            WorkflowId = read.String(data, "workflowId", "data.workflowId"),
            WorkflowName = read.String(data, "workflowName", "data.workflowName"),
            ProviderStatus = read.String(data, "status", "data.status"),
            ReportedNodesExecuted = read.Count(data, "nodesExecuted", "data.nodesExecuted"),
            NodeName = read.String(data, "nodeName", "data.nodeName") ?? read.String(data, "nodeId", "data.nodeId"),
        };

    private IncomingEvent Blank(EntityKind entity, string entityId) => new()
    {
        Source = Source,
        Entity = entity,
        EntityId = entityId,
        EventName = string.Empty,
        Type = NormalizedEventType.Unknown,
        DedupKey = default,
        ReceivedAt = default,
        RawPayload = [],
    };

    private string? DeliveryId(WebhookRequest request, FieldReader read)
    {
        foreach (var header in options.Value.DeliveryIdHeaderList())
        {
            if (!request.Headers.TryGetValue(header, out var values) || values.Count == 0)
            {
                continue;
            }

            if (values.Count > 1 || string.IsNullOrWhiteSpace(values[0]) || values[0]!.Length > 512)
            {
                read.Fail(header, $"The {header} header must appear once, with a non-empty value of at most 512 characters.");
                return null;
            }

            return values[0];
        }

        return null;
    }
}
