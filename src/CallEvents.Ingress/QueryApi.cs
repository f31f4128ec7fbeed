using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CallEvents.Ingress.Security;
using CallEvents.Journal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CallEvents.Ingress;

/// <summary>Read-only HTTP queries over call and workflow snapshots. A query never creates or persists state.</summary>
public static class QueryApi
{
    /// <summary>
    /// Maps <c>GET /calls/{source}/{callId}</c>, <c>GET /calls/{source}/{callId}/events</c>,
    /// <c>GET /workflows/{executionId}</c>, <c>GET /workflows/{executionId}/events</c>, and the follow-ups
    /// of both (<c>GET …/follow-ups</c>, <c>DELETE …/follow-ups/{actionId}</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapCallQueryApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var calls = app.MapGroup("/calls").WithTags("Queries").RequireOperator();
        calls.MapGet("/{source}/{callId}", (string source, string callId, HttpContext context, GrainGateway gateway) =>
            KnownSource(source) ?? QueryAsync(context, gateway, $"call {source}/{callId}", g => g.GetGrain<ICallGrain>(GrainKeys.Call(source, callId)).GetSnapshotAsync(), s => TypedResults.Ok(s)))
            .WithName("GetCall")
            .WithSummary("A call's reconciled snapshot")
            .WithDescription(SourceNote + " The snapshot is a function of the set of distinct events accepted, whatever their order.")
            .Produces<CallSnapshot>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        calls.MapGet("/{source}/{callId}/events", (string source, string callId, int? limit, string? cursor, string? format, HttpContext context, GrainGateway gateway) =>
            KnownSource(source)
            ?? (format == "ndjson"
                ? ExportHistoryAsync(context, gateway, JournalStreams.CallKind, $"call {source}/{callId}", (g, after, size) => g.GetGrain<ICallGrain>(GrainKeys.Call(source, callId)).GetEventsAsync(after, size))
                : HistoryPage.Parse(limit, cursor, out var after, out var size) ?? QueryAsync(context, gateway, $"call {source}/{callId}", g => g.GetGrain<ICallGrain>(GrainKeys.Call(source, callId)).GetEventsAsync(after, size), h => TypedResults.Ok(HistoryView.From(h)))))
            .WithName("GetCallEvents")
            .WithSummary("A call's accepted events in arrival order, each with its raw payload")
            .WithDescription(SourceNote + " " + PagingNote + " " + NdjsonNote)
            .Produces<HistoryView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        var workflows = app.MapGroup("/workflows").WithTags("Queries").RequireOperator();
        workflows.MapGet("/{executionId}", (string executionId, HttpContext context, GrainGateway gateway) =>
            QueryAsync(context, gateway, $"workflow execution {executionId}", g => g.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, executionId)).GetSnapshotAsync(), s => TypedResults.Ok(s)))
            .WithName("GetWorkflowExecution")
            .WithSummary("A SubVerse workflow execution's reconciled snapshot")
            .Produces<WorkflowSnapshot>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        workflows.MapGet("/{executionId}/events", (string executionId, int? limit, string? cursor, string? format, HttpContext context, GrainGateway gateway) =>
            format == "ndjson"
                ? ExportHistoryAsync(context, gateway, JournalStreams.WorkflowKind, $"workflow execution {executionId}", (g, after, size) => g.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, executionId)).GetEventsAsync(after, size))
                : HistoryPage.Parse(limit, cursor, out var after, out var size) ?? QueryAsync(context, gateway, $"workflow execution {executionId}", g => g.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, executionId)).GetEventsAsync(after, size), h => TypedResults.Ok(HistoryView.From(h))))
            .WithName("GetWorkflowExecutionEvents")
            .WithSummary("A workflow execution's accepted events in arrival order, each with its raw payload")
            .WithDescription(PagingNote + " " + NdjsonNote)
            .Produces<HistoryView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        FollowUpApi.Map(calls, workflows);
        ErasureApi.Map(calls, workflows);
        SearchApi.Map(app);
        return app;
    }

    private const string SourceNote = "{source} is verbex or subverse; an unknown source or call is 404.";
    private const string NdjsonNote = "?format=ndjson streams every event instead, one JSON object per line (as GET /export).";
    private const string PagingNote = "limit is 1-500 (default 100); pass nextCursor of a page as cursor for the next one.";

    private static Task<IResult>? KnownSource(string source) =>
        EventSources.IsKnown(source) ? null : Task.FromResult(Answers.NotFound($"Unknown source '{source}'; known sources: {string.Join(", ", EventSources.All)}."));

    /// <summary>The whole history as NDJSON (<c>?format=ndjson</c>), read from the grain page by page as it is sent.</summary>
    private static async Task<IResult> ExportHistoryAsync(HttpContext context, GrainGateway gateway, string kind, string what, Func<IGrainFactory, int, int, Task<EventHistory?>> page)
    {
        var first = await gateway.QueryAsync(g => page(g, 0, HistoryPage.MaxLimit), what, context.RequestAborted);
        if (first.Unavailable)
        {
            return Answers.Unavailable(context, gateway.RetryAfterSeconds, first.Failure!);
        }

        if (first.Value is not { } history)
        {
            return Answers.NotFound($"No events were ever accepted for {what}.");
        }

        var writer = Ndjson.Start(context.Response, "events.ndjson");
        await using (writer)
        {
            while (true)
            {
                foreach (var e in history.Events)
                {
                    Ndjson.WriteLine(writer, history.Key, kind, e.Sequence, e.EventName, e.Type, e.ProviderTime, e.ReceivedAt, e.Late, e.DedupKey, e.RawPayload);
                    await Ndjson.EndLineAsync(writer, context.Response, context.RequestAborted);
                }

                if (history.NextAfter is not { } after)
                {
                    break;
                }

                var next = await gateway.QueryAsync(g => page(g, after, HistoryPage.MaxLimit), what, context.RequestAborted);
                if (next.Value is not { } more)
                {
                    // Mid-stream: the status is sent already; ending the body short is all that is left to say.
                    context.Abort();
                    break;
                }

                history = more;
            }
        }

        return Results.Empty;
    }

    private static async Task<IResult> QueryAsync<T>(HttpContext context, GrainGateway gateway, string what, Func<IGrainFactory, Task<T?>> query, Func<T, IResult> found)
        where T : class
    {
        var answer = await gateway.QueryAsync(query, what, context.RequestAborted);
        if (answer.Unavailable)
        {
            return Answers.Unavailable(context, gateway.RetryAfterSeconds, answer.Failure!);
        }

        return answer.Value is { } value ? found(value) : Answers.NotFound($"No events were ever accepted for {what}.");
    }
}

/// <summary>The paging of <c>GET …/events</c>: <c>limit</c> (1-500, default 100) and an opaque <c>cursor</c>.</summary>
internal static class HistoryPage
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;
    private const string Prefix = "e1:";

    /// <summary>Reads the paging parameters; a problem answer when they are invalid.</summary>
    public static Task<IResult>? Parse(int? limit, string? cursor, out int after, out int size)
    {
        size = limit ?? DefaultLimit;
        after = 0;
        if (size is < 1 or > MaxLimit)
        {
            return Task.FromResult(Answers.BadField("limit", $"limit must be between 1 and {MaxLimit}."));
        }

        if (cursor is not null && !TryDecode(cursor, out after))
        {
            return Task.FromResult(Answers.BadField("cursor", "cursor is not one this service issued; pass nextCursor from a previous page."));
        }

        return null;
    }

    public static string? Encode(int? after) =>
        after is { } value ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Prefix + value.ToString(CultureInfo.InvariantCulture))) : null;

    private static bool TryDecode(string cursor, out int after)
    {
        after = 0;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(cursor);
        }
        catch (FormatException)
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(bytes);
        return text.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out after);
    }
}

/// <summary>A page of an entity's history as served over HTTP: each raw payload embedded as the JSON it was.</summary>
/// <param name="Key">The grain key.</param>
/// <param name="Events">Accepted events in arrival order.</param>
/// <param name="Total">Accepted events in all.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the next page; null on the last page.</param>
public sealed record HistoryView(string Key, IReadOnlyList<HistoryEntryView> Events, int Total, string? NextCursor)
{
    internal static HistoryView From(EventHistory history) => new(
        history.Key,
        [.. history.Events.Select(e => new HistoryEntryView(
            e.Sequence, e.EventName, e.Type, e.ProviderTime, e.ReceivedAt, e.Late, e.DedupKey, e.Duplicates, e.RawPayload is not null, ParsePayload(e.RawPayload)))],
        history.Total,
        HistoryPage.Encode(history.NextAfter));

    private static JsonElement? ParsePayload(byte[]? raw)
    {
        if (raw is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(raw);
        return document.RootElement.Clone();
    }
}

/// <summary>One history entry.</summary>
/// <param name="Sequence">1-based arrival order among accepted events.</param>
/// <param name="EventName">The raw event name.</param>
/// <param name="Type">The mapped type.</param>
/// <param name="ProviderTime">Provider time.</param>
/// <param name="ReceivedAt">When it was received here.</param>
/// <param name="Late">It arrived after a higher phase had been seen.</param>
/// <param name="DedupKey">The deduplication key, as hex.</param>
/// <param name="Duplicates">Later deliveries that repeated it (answered as duplicates).</param>
/// <param name="PayloadKept">False for an event accepted past the entity's caps: counted, its payload not kept.</param>
/// <param name="Payload">The body exactly as received, as JSON; null when not kept.</param>
public sealed record HistoryEntryView(
    int Sequence,
    string EventName,
    NormalizedEventType Type,
    DateTimeOffset? ProviderTime,
    DateTimeOffset ReceivedAt,
    bool Late,
    string DedupKey,
    int Duplicates,
    bool PayloadKept,
    JsonElement? Payload);
