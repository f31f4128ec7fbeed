using System.Text.Json;
using CallEvents.Ingress.Security;
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
            KnownSource(source) ?? QueryAsync(context, gateway, $"call {source}/{callId}", g => g.GetGrain<ICallGrain>(GrainKeys.Call(source, callId)).GetSnapshotAsync(), s => TypedResults.Ok(s)));
        calls.MapGet("/{source}/{callId}/events", (string source, string callId, HttpContext context, GrainGateway gateway) =>
            KnownSource(source) ?? QueryAsync(context, gateway, $"call {source}/{callId}", g => g.GetGrain<ICallGrain>(GrainKeys.Call(source, callId)).GetEventsAsync(), h => TypedResults.Ok(HistoryView.From(h))));

        var workflows = app.MapGroup("/workflows").WithTags("Queries").RequireOperator();
        workflows.MapGet("/{executionId}", (string executionId, HttpContext context, GrainGateway gateway) =>
            QueryAsync(context, gateway, $"workflow execution {executionId}", g => g.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, executionId)).GetSnapshotAsync(), s => TypedResults.Ok(s)));
        workflows.MapGet("/{executionId}/events", (string executionId, HttpContext context, GrainGateway gateway) =>
            QueryAsync(context, gateway, $"workflow execution {executionId}", g => g.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, executionId)).GetEventsAsync(), h => TypedResults.Ok(HistoryView.From(h))));
        FollowUpApi.Map(calls, workflows);
        return app;
    }

    private static Task<IResult>? KnownSource(string source) =>
        EventSources.IsKnown(source) ? null : Task.FromResult(Answers.NotFound($"Unknown source '{source}'; known sources: {string.Join(", ", EventSources.All)}."));

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

/// <summary>An entity's history as served over HTTP: each raw payload embedded as the JSON it was.</summary>
/// <param name="Key">The grain key.</param>
/// <param name="Events">Accepted events in arrival order.</param>
public sealed record HistoryView(string Key, IReadOnlyList<HistoryEntryView> Events)
{
    internal static HistoryView From(EventHistory history) => new(
        history.Key,
        [.. history.Events.Select(e => new HistoryEntryView(
            e.Sequence, e.EventName, e.Type, e.ProviderTime, e.ReceivedAt, e.Late, e.DedupKey, ParsePayload(e.RawPayload)))]);

    private static JsonElement ParsePayload(byte[] raw)
    {
        using var document = JsonDocument.Parse(raw);
        return document.RootElement.Clone();
    }
}

/// <summary>One history entry.</summary>
public sealed record HistoryEntryView(
    int Sequence,
    string EventName,
    NormalizedEventType Type,
    DateTimeOffset? ProviderTime,
    DateTimeOffset ReceivedAt,
    bool Late,
    string DedupKey,
    JsonElement Payload);
