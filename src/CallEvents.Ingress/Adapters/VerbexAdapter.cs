namespace CallEvents.Ingress.Adapters;

/// <summary>
/// Verbex: three call events. The body's <c>traceId</c> is the delivery id; the <c>X-Webhook-Traceid</c> and
/// <c>X-Webhook-Event</c> headers, when present, must agree with the body (which wins).
/// </summary>
public sealed class VerbexAdapter : IProviderAdapter
{
    /// <summary>Header carrying the event name.</summary>
    public const string EventHeader = "X-Webhook-Event";

    /// <summary>Header carrying the trace id (the delivery id).</summary>
    public const string TraceIdHeader = "X-Webhook-Traceid";

    private static readonly Dictionary<string, NormalizedEventType> EventTypes = new(StringComparer.Ordinal)
    {
        ["CallHandler.CallStarted"] = NormalizedEventType.CallStarted,
        ["CallHandler.CallEnded"] = NormalizedEventType.CallEnded,
        ["callAnalysis.pcaCompleted"] = NormalizedEventType.PcaCompleted,
    };

    /// <inheritdoc/>
    public string Source => EventSources.Verbex;

    /// <inheritdoc/>
    public ParseResult Parse(WebhookRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var root = request.Root;
        var read = new FieldReader();

        var headerEvent = SingleHeader(request, EventHeader, read);
        var headerTrace = SingleHeader(request, TraceIdHeader, read);
        var eventName = read.String(root, "eventName", "eventName");
        if (read.Problem is null && string.IsNullOrWhiteSpace(eventName))
        {
            eventName = headerEvent;
            if (string.IsNullOrWhiteSpace(eventName))
            {
                read.Fail("eventName", $"'eventName' is required (in the body, or the {EventHeader} header).");
            }
        }
        else if (headerEvent is not null && !string.Equals(headerEvent, eventName, StringComparison.Ordinal))
        {
            read.Fail(EventHeader, $"The {EventHeader} header '{headerEvent}' disagrees with the body's eventName '{eventName}'.");
        }

        var traceId = read.RequiredString(root, "traceId", "traceId");
        if (read.Problem is null && headerTrace is not null && !string.Equals(headerTrace, traceId, StringComparison.Ordinal))
        {
            read.Fail(TraceIdHeader, $"The {TraceIdHeader} header '{headerTrace}' disagrees with the body's traceId '{traceId}'.");
        }

        var organizationId = read.String(root, "organizationId", "organizationId");
        var timestamp = read.UnixTime(root, "timestamp", "timestamp", milliseconds: false);
        var payload = read.RequiredObject(root, "payload", "payload");
        var callId = read.EntityId(payload, "call_id", "payload.call_id");
        var agentId = read.String(payload, "agent_id", "payload.agent_id");
        var status = read.String(payload, "status", "payload.status");
        var reason = read.String(payload, "reason", "payload.reason");
        var pcaTime = read.UnixTime(payload, "timestamp", "payload.timestamp", milliseconds: true);
        if (read.Problem is { } problem)
        {
            return problem;
        }

        return new IncomingEvent
        {
            Source = Source,
            Entity = EntityKind.Call,
            EntityId = callId,
            EventName = eventName!,
            Type = EventTypes.GetValueOrDefault(eventName!, NormalizedEventType.Unknown),
            DedupKey = DedupKey.FromIdentity(Source, traceId),
            ProviderTime = timestamp,
            ReceivedAt = request.ReceivedAt,
            AgentId = agentId,
            OrganizationId = organizationId,
            ProviderStatus = status,
            Reason = reason,
            PcaCompletedAt = pcaTime,
            RawPayload = request.Body.ToArray(),
        };
    }

    private static string? SingleHeader(WebhookRequest request, string name, FieldReader read)
    {
        if (!request.Headers.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            read.Fail(name, $"The {name} header must appear once.");
            return null;
        }

        return values[0];
    }
}
