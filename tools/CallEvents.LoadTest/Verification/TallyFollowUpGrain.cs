using CallEvents.FollowUps;

namespace CallEvents.LoadTest.Verification;

/// <summary>
/// A follow-up grain that decides to do nothing: what a user's follow-up looks like (see
/// <c>samples/NegativeSentimentEscalation</c>), registered on every cluster and in-process host the load test
/// starts. <see cref="FollowUpGrain"/> still records one decision per distinct emission and confirms it to the
/// producer, so the verdict can count, independently of the producing grains, that every call that reached
/// PcaReady was emitted and decided exactly once, and every finished workflow execution likewise.
/// </summary>
[ImplicitStreamSubscription(StreamNamespaces.CallPcaReady)]
[ImplicitStreamSubscription(StreamNamespaces.WorkflowCompleted)]
[ImplicitStreamSubscription(StreamNamespaces.WorkflowFailed)]
public sealed class TallyFollowUpGrain(FollowUpServices services) : FollowUpGrain(services)
{
    /// <summary>The follow-up name its records carry (<see cref="FollowUpRecord.FollowUp"/>): the class's full name.</summary>
    public static string Name { get; } = typeof(TallyFollowUpGrain).FullName!;

    /// <inheritdoc/>
    protected override Task<FollowUpPlan?> DecideAsync(LifecycleEvent lifecycleEvent) => Task.FromResult<FollowUpPlan?>(null);

    /// <inheritdoc/>
    protected override Task ExecuteAsync(ScheduledActionRecord action, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("The tally follow-up never schedules an action.");
}
