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

/// <summary>Callbacks for calls: PCA-ready and stalled calls (each only while a rule listens on it).</summary>
[ConsumedStreamSubscription(StreamNamespaces.CallPcaReady, typeof(CallCallbackFollowUpGrain))]
[ConsumedStreamSubscription(StreamNamespaces.CallStalled, typeof(CallCallbackFollowUpGrain))]
public sealed class CallCallbackFollowUpGrain(
    FollowUpServices services,
    CallbackDispatcher dispatcher)
    : CallbackFollowUpGrain(services, dispatcher);

/// <summary>Callbacks for workflow executions: completed and failed (each only while a rule listens on it).</summary>
[ConsumedStreamSubscription(StreamNamespaces.WorkflowCompleted, typeof(WorkflowCallbackFollowUpGrain))]
[ConsumedStreamSubscription(StreamNamespaces.WorkflowFailed, typeof(WorkflowCallbackFollowUpGrain))]
public sealed class WorkflowCallbackFollowUpGrain(
    FollowUpServices services,
    CallbackDispatcher dispatcher)
    : CallbackFollowUpGrain(services, dispatcher);
