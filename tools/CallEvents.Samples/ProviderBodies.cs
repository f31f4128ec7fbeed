using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace CallEvents.Samples;

/// <summary>One Verbex delivery's values.</summary>
/// <param name="Kind">A Verbex kind.</param>
/// <param name="OrganizationId">The body's <c>organizationId</c>.</param>
/// <param name="TraceId">The body's <c>traceId</c> (Verbex's delivery id; also the <c>X-Webhook-Traceid</c> header).</param>
/// <param name="TimestampMicroseconds">Provider time in Unix microseconds (the body says seconds with six decimals).</param>
/// <param name="CallId">The call.</param>
/// <param name="AgentId">The agent.</param>
public sealed record VerbexEvent(EventKind Kind, string OrganizationId, string TraceId, long TimestampMicroseconds, string CallId, string AgentId)
{
    /// <summary>The provider time the body carries, exactly as the adapter reads it back.</summary>
    public DateTimeOffset ProviderTime => DateTimeOffset.UnixEpoch.AddTicks(TimestampMicroseconds * 10);
}

/// <summary>One SubVerse call delivery's values.</summary>
/// <param name="Kind">A SubVerse call kind.</param>
/// <param name="Time">The body's <c>createdAt</c> (provider time).</param>
/// <param name="CallId">The call.</param>
/// <param name="CustomerNumber">The customer's number.</param>
/// <param name="AgentId">The agent.</param>
/// <param name="PlacedAt">When the call was placed (<c>callTime</c>).</param>
/// <param name="DurationSeconds">The call's length, sent on <c>call.completed</c>.</param>
/// <param name="Sentiment">The analysis sentiment, sent on <c>call.completed</c>.</param>
/// <param name="Reason">Why it failed (errored, canceled, expired).</param>
public sealed record SubVerseCallEvent(
    EventKind Kind,
    DateTimeOffset Time,
    string CallId,
    string CustomerNumber,
    string AgentId,
    DateTimeOffset PlacedAt,
    int DurationSeconds,
    string Sentiment,
    string? Reason);

/// <summary>One SubVerse workflow delivery's values.</summary>
/// <param name="Kind">A workflow kind.</param>
/// <param name="At">The body's <c>createdAt</c> (provider time).</param>
/// <param name="WorkflowId">The workflow definition.</param>
/// <param name="ExecutionId">The execution.</param>
/// <param name="StartedAt">When the execution started.</param>
/// <param name="NodeName">The node a node execution names.</param>
/// <param name="NodesExecuted">Nodes executed so far.</param>
/// <param name="Reason">Why it failed (<c>workflow.failed</c>).</param>
public sealed record WorkflowEvent(
    EventKind Kind,
    DateTimeOffset At,
    string WorkflowId,
    string ExecutionId,
    DateTimeOffset StartedAt,
    string? NodeName,
    int NodesExecuted,
    string? Reason = null);

/// <summary>
/// Webhook bodies and headers shaped like the provider guides' examples (their documented sample payloads): compact JSON, fields in
/// the providers' order. The same values always give the same bytes, which is what a provider's retry sends.
/// </summary>
public static class ProviderBodies
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>A Verbex body (<c>CallHandler.*</c>, <c>callAnalysis.pcaCompleted</c>).</summary>
    public static byte[] Verbex(VerbexEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var us = e.TimestampMicroseconds;
        return Json(w =>
        {
            w.WriteString("organizationId", e.OrganizationId);
            w.WriteString("traceId", e.TraceId);
            w.WriteString("eventName", EventNames.Of(e.Kind));
            w.WriteNumber("timestamp", us / 1_000_000m);
            w.WriteStartObject("payload");
            w.WriteString("call_id", e.CallId);
            w.WriteString("agent_id", e.AgentId);
            w.WriteString("status", "success");
            if (e.Kind == EventKind.VerbexPcaCompleted)
            {
                w.WriteString("reason", "success");
                w.WriteNumber("timestamp", us / 1000 - 500);
            }

            w.WriteEndObject();
        });
    }

    /// <summary>The headers Verbex sends with a delivery (besides Content-Type).</summary>
    public static KeyValuePair<string, string>[] VerbexHeaders(EventKind kind, string traceId, DateTimeOffset providerTime) =>
    [
        new("User-Agent", "ReactorNetty/1.1.13"),
        new("X-Webhook-Event", EventNames.Of(kind)),
        new("X-Webhook-Traceid", traceId),
        new("X-Webhook-Timestamp", providerTime.AddMilliseconds(15).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)),
    ];

    /// <summary>A SubVerse <c>call.*</c> body. Only <c>call.completed</c> carries an analysis (what makes the call PCA-ready).</summary>
    public static byte[] SubVerseCall(SubVerseCallEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var completed = e.Kind == EventKind.SubVerseCompleted;
        return Json(w =>
        {
            w.WriteString("eventType", EventNames.Of(e.Kind));
            w.WriteString("createdAt", IsoMs(e.Time));
            w.WriteStartObject("data");
            w.WriteString("callId", e.CallId);
            w.WriteString("customerNumber", e.CustomerNumber);
            w.WriteString("callStatus", CallStatus(e.Kind));
            w.WriteString("botNumber", "+918045678901");
            w.WriteString("agentId", e.AgentId);
            w.WriteString("agentName", "Customer Support Agent");
            w.WriteNumber("callDuration", completed ? e.DurationSeconds : 0);
            w.WriteString("callDirection", "outbound");
            w.WriteString("callTime", IsoMs(e.PlacedAt));
            w.WriteString("transcript", completed ? "Agent: Hello, this is a call about your order. Customer: Thanks, all good." : string.Empty);
            if (completed)
            {
                w.WriteStartObject("analysis");
                w.WriteString("sentiment", e.Sentiment);
                w.WriteString("summary", "Customer inquiry resolved successfully");
                w.WriteStartObject("customFields");
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteString("recordingUrl", string.Create(CultureInfo.InvariantCulture, $"https://recordings.subverseai.com/{e.CallId}.mp3"));
            if (e.Kind == EventKind.SubVerseErrored)
            {
                w.WriteString("errorMessage", e.Reason);
            }
            else if (e.Reason is not null)
            {
                w.WriteString("reason", e.Reason);
            }

            w.WriteEndObject();
        });
    }

    /// <summary>A SubVerse <c>workflow.*</c> body.</summary>
    public static byte[] Workflow(WorkflowEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var completed = e.Kind == EventKind.WorkflowCompleted;
        var finished = completed || e.Kind == EventKind.WorkflowFailed;
        return Json(w =>
        {
            w.WriteString("eventType", EventNames.Of(e.Kind));
            w.WriteString("createdAt", IsoMs(e.At));
            w.WriteStartObject("data");
            w.WriteString("workflowId", e.WorkflowId);
            w.WriteString("workflowName", "Order Confirmation Campaign");
            w.WriteString("executionId", e.ExecutionId);
            w.WriteString("status", EventNames.Of(e.Kind)["workflow.".Length..]);
            if (e.NodeName is not null)
            {
                w.WriteString("nodeName", e.NodeName);
            }

            w.WriteString("startedAt", IsoMs(e.StartedAt));
            if (completed)
            {
                w.WriteString("completedAt", IsoMs(e.At));
            }
            else
            {
                w.WriteNull("completedAt");
            }

            w.WriteNumber("duration", finished ? (int)(e.At - e.StartedAt).TotalSeconds : 0);
            w.WriteNumber("nodesExecuted", e.NodesExecuted);
            w.WriteStartObject("results");
            w.WriteNumber("callsMade", e.NodesExecuted * 2);
            w.WriteNumber("emailsSent", e.NodesExecuted * 2);
            w.WriteNumber("successRate", 0.9);
            w.WriteEndObject();
            if (e.Reason is not null)
            {
                w.WriteString("errorMessage", e.Reason);
            }

            w.WriteEndObject();
        });
    }

    /// <summary>SubVerse's <c>callStatus</c> for a call event.</summary>
    public static string CallStatus(EventKind kind) => kind switch
    {
        EventKind.SubVerseInQueue => "in_queue",
        EventKind.SubVersePlaced => "call_placed",
        EventKind.SubVerseCompleted => "completed",
        EventKind.SubVerseErrored => "errored",
        EventKind.SubVerseCanceled => "canceled",
        _ => "expired",
    };

    /// <summary>Unix microseconds of a time (Verbex's precision).</summary>
    public static long ToUnixMicroseconds(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / 10;

    /// <summary>The time cut to whole milliseconds (SubVerse's precision), so the body and the model agree.</summary>
    public static DateTimeOffset TruncateToMs(DateTimeOffset time) => new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    private static string IsoMs(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(768);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
