using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CallEvents.Ingress;

/// <summary>
/// <c>DELETE /calls/{source}/{callId}</c> and <c>DELETE /workflows/{executionId}</c>: erase an entity's events,
/// payloads, snapshot, index entry and its follow-ups' records and scheduled actions. Only dedup keys stay, so a
/// redelivery of an erased event is answered as a duplicate and does not bring the entity back.
/// </summary>
internal static class ErasureApi
{
    public static void Map(RouteGroupBuilder calls, RouteGroupBuilder workflows)
    {
        calls.MapDelete("/{source}/{callId}", (string source, string callId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            EventSources.IsKnown(source)
                ? EraseAsync(context, gateway, GrainKeys.Call(source, callId), g => g.EraseCallAsync(registry, GrainKeys.Call(source, callId)))
                : Task.FromResult(Answers.NotFound($"Unknown source '{source}'.")))
            .WithName("EraseCall")
            .WithSummary("Erases a call: events, payloads, snapshot, index entry and its follow-ups' records; only dedup keys stay")
            .Produces<ErasureView>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        workflows.MapDelete("/{executionId}", (string executionId, HttpContext context, GrainGateway gateway, FollowUpRegistry registry) =>
            EraseAsync(context, gateway, GrainKeys.Workflow(EventSources.SubVerse, executionId), g => g.EraseWorkflowAsync(registry, GrainKeys.Workflow(EventSources.SubVerse, executionId))))
            .WithName("EraseWorkflowExecution")
            .WithSummary("Erases a workflow execution and its follow-ups' records; only dedup keys stay")
            .Produces<ErasureView>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> EraseAsync(HttpContext context, GrainGateway gateway, string key, Func<IGrainFactory, Task<bool>> erase)
    {
        var answer = await gateway.QueryAsync(async g => await erase(g) ? new ErasureView(key, true) : null, $"erasure of {key}", context.RequestAborted);
        if (answer.Unavailable)
        {
            return Answers.Unavailable(context, gateway.RetryAfterSeconds, answer.Failure!);
        }

        return answer.Value is { } erased ? TypedResults.Ok(erased) : Answers.NotFound($"Nothing is stored for {key}.");
    }
}

/// <summary>The answer to an erasure.</summary>
/// <param name="Key">The grain key.</param>
/// <param name="Erased">Always true.</param>
public sealed record ErasureView(string Key, bool Erased);
