using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace CallEvents.Ingress;

/// <summary>
/// What one webhook delivery came to, filled in by the pipeline (and the guard, for refusals) and recorded once when
/// it is answered: <c>callevents.webhook.deliveries</c> and <c>callevents.webhook.duration</c>. Every tag value is
/// one of a small fixed set (a known event name, an outcome, a reason), never a call id.
/// </summary>
internal sealed class DeliveryTally
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Late = "late";
    public const string Unrecognized = "unrecognized";
    public const string Rejected = "rejected";
    public const string Unauthorized = "unauthorized";
    public const string Throttled = "throttled";
    public const string Unavailable = "unavailable";

    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>The event name when the adapter knows it, <c>unrecognized</c> when it does not, <c>none</c> before parsing.</summary>
    public string EventType { get; set; } = "none";

    public string? Outcome { get; set; }

    public string? Reason { get; set; }

    /// <summary>The tally of the delivery <paramref name="context"/> carries, if it is one.</summary>
    public static DeliveryTally? Of(HttpContext context) => context.Features.Get<DeliveryTally>();

    /// <summary>Records the delivery's answer.</summary>
    public void Record(string source, int status)
    {
        var outcome = Outcome ?? status switch
        {
            StatusCodes.Status401Unauthorized => Unauthorized,
            StatusCodes.Status429TooManyRequests => Throttled,
            StatusCodes.Status503ServiceUnavailable => Unavailable,
            < 300 => Accepted,
            _ => Rejected,
        };
        var reason = Reason ?? (outcome is Accepted or Duplicate or Late or Unrecognized ? "none" : $"status-{status}");
        var tags = new TagList
        {
            { "callevents.source", source },
            { "callevents.event_type", EventType },
            { "callevents.outcome", outcome },
            { "callevents.reason", reason },
            { "http.response.status_code", status },
        };
        CallEventsTelemetry.Deliveries.Add(1, tags);
        CallEventsTelemetry.AcknowledgementDuration.Record(
            Stopwatch.GetElapsedTime(_started).TotalSeconds,
            new KeyValuePair<string, object?>("callevents.source", source),
            new KeyValuePair<string, object?>("callevents.outcome", outcome));
    }
}
