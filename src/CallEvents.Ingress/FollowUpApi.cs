using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CallEvents.Ingress;

/// <summary>
/// Follow-ups of a call or workflow execution across every registered follow-up grain (built-in callbacks and
/// custom ones): <c>GET …/follow-ups</c> lists decisions, scheduled actions and attempts; <c>DELETE
/// …/follow-ups/{actionId}</c> cancels an action that has not run; <c>POST …/follow-ups/{actionId}/retry</c> runs a
/// failed one again with the same id.
/// </summary>
internal static class FollowUpApi
{
    private static readonly string[] CallNamespaces = [StreamNamespaces.CallPcaReady, StreamNamespaces.CallStalled];
    private static readonly string[] WorkflowNamespaces = [StreamNamespaces.WorkflowCompleted, StreamNamespaces.WorkflowFailed];

    public static void Map(RouteGroupBuilder calls, RouteGroupBuilder workflows)
    {
        calls.MapGet("/{source}/{callId}/follow-ups", (string source, string callId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            ListAsync(context, gateway, registry, GrainKeys.Call(source, callId), CallNamespaces, async g => await g.GetGrain<ICallGrain>(GrainKeys.Call(source, callId)).GetSnapshotAsync() is not null))
            .WithName("GetCallFollowUps")
            .WithSummary("A call's follow-up decisions and scheduled actions, across every follow-up grain")
            .DocumentList();
        calls.MapDelete("/{source}/{callId}/follow-ups/{actionId}", (string source, string callId, string actionId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            CancelAsync(context, gateway, registry, GrainKeys.Call(source, callId), CallNamespaces, actionId))
            .WithName("CancelCallFollowUp")
            .WithSummary("Cancels a call's scheduled action that has not run")
            .DocumentCancel();
        calls.MapPost("/{source}/{callId}/follow-ups/{actionId}/retry", (string source, string callId, string actionId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            RetryAsync(context, gateway, registry, GrainKeys.Call(source, callId), CallNamespaces, actionId))
            .WithName("RetryCallFollowUp")
            .WithSummary("Runs a call's failed action again, with the same id (Idempotency-Key)")
            .DocumentRetry();
        workflows.MapGet("/{executionId}/follow-ups", (string executionId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            ListAsync(context, gateway, registry, GrainKeys.Workflow(EventSources.SubVerse, executionId), WorkflowNamespaces, async g => await g.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, executionId)).GetSnapshotAsync() is not null))
            .WithName("GetWorkflowExecutionFollowUps")
            .WithSummary("A workflow execution's follow-up decisions and scheduled actions")
            .DocumentList();
        workflows.MapDelete("/{executionId}/follow-ups/{actionId}", (string executionId, string actionId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            CancelAsync(context, gateway, registry, GrainKeys.Workflow(EventSources.SubVerse, executionId), WorkflowNamespaces, actionId))
            .WithName("CancelWorkflowExecutionFollowUp")
            .WithSummary("Cancels a workflow execution's scheduled action that has not run")
            .DocumentCancel();
        workflows.MapPost("/{executionId}/follow-ups/{actionId}/retry", (string executionId, string actionId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            RetryAsync(context, gateway, registry, GrainKeys.Workflow(EventSources.SubVerse, executionId), WorkflowNamespaces, actionId))
            .WithName("RetryWorkflowExecutionFollowUp")
            .WithSummary("Runs a workflow execution's failed action again, with the same id (Idempotency-Key)")
            .DocumentRetry();
    }

    private static RouteHandlerBuilder DocumentList(this RouteHandlerBuilder endpoint) => endpoint
        .WithTags("Follow-ups")
        .Produces<FollowUpsView>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static RouteHandlerBuilder DocumentCancel(this RouteHandlerBuilder endpoint) => endpoint
        .WithTags("Follow-ups")
        .WithDescription("200 when cancelled; 409 when it already ran or was cancelled; 404 when there is no such action.")
        .Produces<CancelView>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static RouteHandlerBuilder DocumentRetry(this RouteHandlerBuilder endpoint) => endpoint
        .WithTags("Follow-ups")
        .WithDescription("200 when the failed action runs again; 409 when it has not failed; 404 when there is no such action.")
        .Produces<RetryView>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> ListAsync(HttpContext context, GrainGateway gateway, FollowUpRegistry registry, string key, string[] namespaces, Func<IGrainFactory, Task<bool>> entityExists)
    {
        var consumers = registry.ConsumersOfAny(namespaces);
        var answer = await gateway.QueryAsync(
            async grains =>
            {
                var records = await Task.WhenAll(consumers.Select(c => grains.GetGrain<IFollowUpGrain>(key, c).GetFollowUpsAsync()));
                var found = records.OfType<FollowUpRecord>().ToList();
                return found.Count > 0 || await entityExists(grains) ? new FollowUpsView(key, found) : null;
            },
            $"follow-ups of {key}",
            context.RequestAborted);
        if (answer.Unavailable)
        {
            return Answers.Unavailable(context, gateway.RetryAfterSeconds, answer.Failure!);
        }

        return answer.Value is { } view ? TypedResults.Ok(view) : Answers.NotFound($"No events were ever accepted for {key}.");
    }

    private static async Task<IResult> CancelAsync(HttpContext context, GrainGateway gateway, FollowUpRegistry registry, string key, string[] namespaces, string actionId)
    {
        var consumers = registry.ConsumersOfAny(namespaces);
        var answer = await gateway.QueryAsync(
            async grains =>
            {
                var results = await Task.WhenAll(consumers.Select(c => grains.GetGrain<IFollowUpGrain>(key, c).CancelAsync(actionId)));
                return new CancelView(
                    key,
                    actionId,
                    results.Contains(CancelResult.Cancelled) ? CancelResult.Cancelled
                        : results.Contains(CancelResult.AlreadyFinished) ? CancelResult.AlreadyFinished
                        : CancelResult.NotFound);
            },
            $"follow-ups of {key}",
            context.RequestAborted);
        if (answer.Unavailable)
        {
            return Answers.Unavailable(context, gateway.RetryAfterSeconds, answer.Failure!);
        }

        return answer.Value!.Result switch
        {
            CancelResult.Cancelled => TypedResults.Ok(answer.Value),
            CancelResult.AlreadyFinished => Answers.Problem(StatusCodes.Status409Conflict, "Already finished", $"Action {actionId} of {key} already ran or was cancelled."),
            _ => Answers.NotFound($"No scheduled action {actionId} for {key}."),
        };
    }

    private static async Task<IResult> RetryAsync(HttpContext context, GrainGateway gateway, FollowUpRegistry registry, string key, string[] namespaces, string actionId)
    {
        var consumers = registry.ConsumersOfAny(namespaces);
        var answer = await gateway.QueryAsync(
            async grains =>
            {
                var results = await Task.WhenAll(consumers.Select(c => grains.GetGrain<IFollowUpGrain>(key, c).RetryAsync(actionId)));
                return new RetryView(
                    key,
                    actionId,
                    results.Contains(RetryResult.Retrying) ? RetryResult.Retrying
                        : results.Contains(RetryResult.NotFailed) ? RetryResult.NotFailed
                        : RetryResult.NotFound);
            },
            $"follow-ups of {key}",
            context.RequestAborted);
        if (answer.Unavailable)
        {
            return Answers.Unavailable(context, gateway.RetryAfterSeconds, answer.Failure!);
        }

        return answer.Value!.Result switch
        {
            RetryResult.Retrying => TypedResults.Ok(answer.Value),
            RetryResult.NotFailed => Answers.Problem(StatusCodes.Status409Conflict, "Not failed", $"Action {actionId} of {key} has not failed; only a failed action can be retried."),
            _ => Answers.NotFound($"No scheduled action {actionId} for {key}."),
        };
    }
}

/// <summary>The answer to a retry.</summary>
/// <param name="Key">The call or workflow-execution key.</param>
/// <param name="ActionId">The action (its id stays its Idempotency-Key).</param>
/// <param name="Result">What happened.</param>
public sealed record RetryView(string Key, string ActionId, RetryResult Result);

/// <summary>Every follow-up record of one key.</summary>
/// <param name="Key">The call or workflow-execution key.</param>
/// <param name="FollowUps">One record per follow-up grain that decided something for it.</param>
public sealed record FollowUpsView(string Key, IReadOnlyList<FollowUpRecord> FollowUps);

/// <summary>The answer to a cancellation.</summary>
/// <param name="Key">The call or workflow-execution key.</param>
/// <param name="ActionId">The action.</param>
/// <param name="Result">What happened.</param>
public sealed record CancelView(string Key, string ActionId, CancelResult Result);
