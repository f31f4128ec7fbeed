namespace CallEvents.Samples;

/// <summary>One delivery ready to post to <c>/webhooks/{Source}</c>.</summary>
/// <param name="Kind">The event.</param>
/// <param name="EntityId">The call id or workflow execution id it belongs to.</param>
/// <param name="Body">The exact bytes.</param>
/// <param name="Headers">Request headers besides Content-Type.</param>
public sealed record Sample(EventKind Kind, string EntityId, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The webhook path segment.</summary>
    public string Source => EventNames.SourceOf(Kind);

    /// <summary>The event name as the provider sends it.</summary>
    public string EventName => EventNames.Of(Kind);

    /// <summary>The grain key, <c>{source}/{id}</c>.</summary>
    public string Key => $"{Source}/{EntityId}";
}

/// <summary>
/// Single realistic deliveries of any supported event, for trying a host by hand: the bodies come from
/// <see cref="ProviderBodies"/> (the load test's generator), with plausible values around a given time. Samples of one
/// entity id sent in provider order make a consistent call or execution.
/// </summary>
public static class SampleEvents
{
    /// <summary>The organization of Verbex samples unless one is given (the provider guide's example tenant).</summary>
    public const string DefaultOrganizationId = "b2a1c3d4-0105-4c5e-8d67-c3c299805600";

    /// <summary>A delivery of <paramref name="kind"/> at <paramref name="now"/>.</summary>
    /// <param name="kind">The event.</param>
    /// <param name="entityId">The call or execution id; null: a new random one in the provider's format.</param>
    /// <param name="now">The provider time of the event.</param>
    /// <param name="organizationId">Verbex's <c>organizationId</c>; null: <see cref="DefaultOrganizationId"/>.</param>
    public static Sample Create(EventKind kind, string? entityId, DateTimeOffset now, string? organizationId = null)
    {
        var time = ProviderBodies.TruncateToMs(now);
        switch (EventNames.EntityOf(kind))
        {
            case EntityType.VerbexCall:
            {
                // Mongo-ObjectId-like 24 hex digits, as in the guide's examples.
                var callId = entityId ?? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..24];
                var traceId = Guid.NewGuid().ToString();
                var e = new VerbexEvent(kind, organizationId ?? DefaultOrganizationId, traceId, ProviderBodies.ToUnixMicroseconds(now), callId, "5f1e8c2a-7d3b-4e6f-9a0c-1b2d3e4f5a6b");
                return new Sample(kind, callId, ProviderBodies.Verbex(e), ProviderBodies.VerbexHeaders(kind, traceId, e.ProviderTime));
            }

            case EntityType.SubVerseCall:
            {
                var callId = entityId ?? $"call_{Random()}";
                var placed = time.AddSeconds(-94);
                var e = new SubVerseCallEvent(kind, time, callId, "+919876543210", "agent_7", placed, 94, "positive", ReasonOf(kind));
                return new Sample(kind, callId, ProviderBodies.SubVerseCall(e), []);
            }

            default:
            {
                var executionId = entityId ?? $"exec_{Random()}";
                var (node, executed) = kind switch
                {
                    EventKind.WorkflowNodeExecution => ("node_1", 1),
                    EventKind.WorkflowCompleted or EventKind.WorkflowFailed => ((string?)null, 3),
                    _ => (null, 0),
                };
                var e = new WorkflowEvent(kind, time, "wf_456", executionId, time.AddMinutes(-2), node, executed, ReasonOf(kind));
                return new Sample(kind, executionId, ProviderBodies.Workflow(e), []);
            }
        }
    }

    private static string? ReasonOf(EventKind kind) => kind switch
    {
        EventKind.SubVerseErrored => "carrier returned SIP 503",
        EventKind.SubVerseCanceled => "canceled by campaign",
        EventKind.SubVerseExpired => "not answered within the call window",
        EventKind.WorkflowFailed => "node_3 timed out waiting for the CRM",
        _ => null,
    };

    private static string Random() => Guid.NewGuid().ToString("N")[..12];
}
