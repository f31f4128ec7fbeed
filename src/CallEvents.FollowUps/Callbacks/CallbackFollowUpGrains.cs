namespace CallEvents.FollowUps.Callbacks;

/// <summary>The built-in callback follow-up: decides by <see cref="CallbackOptions"/> rules, acts by HTTP POST.</summary>
public abstract class CallbackFollowUpGrain(FollowUpServices services, CallbackDispatcher dispatcher)
    : FollowUpGrain(services)
{
    /// <inheritdoc/>
    protected override Task<FollowUpPlan?> DecideAsync(LifecycleEvent lifecycleEvent) => Task.FromResult(dispatcher.Decide(lifecycleEvent));

    /// <inheritdoc/>
    protected override Task ExecuteAsync(ScheduledActionRecord action, CancellationToken cancellationToken) =>
        dispatcher.SendAsync(action, cancellationToken);
}

/// <summary>Callbacks for calls: PCA-ready and stalled calls.</summary>
[ImplicitStreamSubscription(StreamNamespaces.CallPcaReady)]
[ImplicitStreamSubscription(StreamNamespaces.CallStalled)]
public sealed class CallCallbackFollowUpGrain(
    FollowUpServices services,
    CallbackDispatcher dispatcher)
    : CallbackFollowUpGrain(services, dispatcher);

/// <summary>Callbacks for workflow executions: completed and failed.</summary>
[ImplicitStreamSubscription(StreamNamespaces.WorkflowCompleted)]
[ImplicitStreamSubscription(StreamNamespaces.WorkflowFailed)]
public sealed class WorkflowCallbackFollowUpGrain(
    FollowUpServices services,
    CallbackDispatcher dispatcher)
    : CallbackFollowUpGrain(services, dispatcher);
