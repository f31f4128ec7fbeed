using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace CallEvents.FollowUps;

/// <summary>
/// Base class of every follow-up grain. A derived grain adds <c>[ImplicitStreamSubscription(...)]</c> for the
/// namespaces it wants, and writes only the decision (<see cref="DecideAsync"/>) and the action
/// (<see cref="ExecuteAsync"/>). This class subscribes, takes exactly one decision per emission (repeated
/// deliveries are recognised by emission id), confirms it to the producer, schedules the action on a durable
/// reminder, runs it with retries and backoff, and records every attempt.
/// </summary>
/// <remarks>
/// Guarantee: an emission is delivered at least once (the producer republishes until confirmed) and decided
/// exactly once. An action runs once per successful attempt recorded; if a silo dies after an action succeeded
/// but before that was stored, it runs again at the next tick, so actions must be idempotent on their id
/// (HTTP callbacks carry it as <c>Idempotency-Key</c>).
/// </remarks>
public abstract class FollowUpGrain : Grain, IFollowUpGrain, IStreamSubscriptionObserver, IAsyncObserver<LifecycleEvent>, IRemindable
{
    private const string ActionReminderPrefix = "action:";
    private static readonly TimeSpan MinimumReminderDue = TimeSpan.FromSeconds(1);

    private readonly IPersistentState<FollowUpState> _state;
    private readonly FollowUpServices _services;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _retries;

    /// <summary>Creates the grain over its persisted state (give each grain class its own state name).</summary>
    protected FollowUpGrain(IPersistentState<FollowUpState> state, FollowUpServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _state = state;
        _services = services;
        _logger = services.Loggers.CreateLogger(GetType());
        // One pipeline per silo: building it validates its options by reflection, far too costly per activation.
        _retries = services.Retries;
    }

    /// <summary>The name producers wait for a confirmation from: the grain class's full name.</summary>
    public string FollowUpName => GetType().FullName!;

    /// <summary>The clock.</summary>
    protected TimeProvider Time => _services.Time;

    /// <summary>Decides what to do about an emission; null for nothing. Called once per emission.</summary>
    protected abstract Task<FollowUpPlan?> DecideAsync(LifecycleEvent lifecycleEvent);

    /// <summary>
    /// Performs a due action. Return normally on success; throw <see cref="FollowUpActionException"/> (or an
    /// <see cref="HttpRequestException"/> / <see cref="TimeoutException"/>, taken as transient) on failure.
    /// </summary>
    protected abstract Task ExecuteAsync(ScheduledActionRecord action, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        ArgumentNullException.ThrowIfNull(handleFactory);
        await handleFactory.Create<LifecycleEvent>().ResumeAsync(this);
    }

    /// <inheritdoc/>
    public async Task OnNextAsync(LifecycleEvent item, StreamSequenceToken? token = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!_services.Registry.ConsumersOf(item.Namespace).Contains(FollowUpName))
        {
            // Subscribed by attribute, but not consuming this namespace in this deployment (see AddFollowUpGrain).
            return;
        }

        if (_state.State.Decisions.Exists(d => d.EmissionId == item.EmissionId))
        {
            // A republished emission we already decided on: only the confirmation may have been lost.
            await ConfirmAsync(item);
            return;
        }

        var plan = await DecideAsync(item);
        var now = Time.GetUtcNow();
        ScheduledActionRecord? action = plan is null ? null : new ScheduledActionRecord
        {
            Id = ActionId(item, plan.Name),
            Name = plan.Name,
            DueAt = now + plan.Delay,
            Target = plan.Target,
            Payload = plan.Payload,
            Status = ActionStatus.Scheduled,
            EmissionId = item.EmissionId,
        };
        var decision = new FollowUpDecisionRecord(
            item.EmissionId,
            item.Namespace,
            now,
            action?.Id,
            action is null ? "no action" : $"{action.Name} due {action.DueAt:O}");

        // The reminder first: once the decision is stored, its action must not depend on this activation.
        // Orleans anchors reminder ticks at registration time + due time, and a tick already in the past when the
        // reminder service looks at it is skipped to the next period; so the durable reminder gets at least a
        // second, and a grain timer runs the action on time while this activation lives.
        if (action is not null)
        {
            await this.RegisterOrUpdateReminder(ActionReminderPrefix + action.Id, Max(plan!.Delay, MinimumReminderDue), _services.Options.TickPeriod);
        }

        _state.State.Decisions.Add(decision);
        if (action is not null)
        {
            _state.State.Actions.Add(action);
        }

        try
        {
            await _state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _state.State.Decisions.Remove(decision);
            if (action is not null)
            {
                _state.State.Actions.Remove(action);
            }

            FollowUpMessages.DecisionNotStored(_logger, ex, item.Key, item.Namespace);
            throw; // not confirmed: the producer republishes and this decision is taken again
        }

        FollowUpMessages.Decided(_logger, item.Key, item.Namespace, decision.Summary);
        if (action is not null)
        {
            this.RegisterGrainTimer(
                static (state, _) => state.Grain.RunIfDueAsync(state.ActionId),
                (Grain: this, ActionId: action.Id),
                Max(plan!.Delay, TimeSpan.Zero),
                Timeout.InfiniteTimeSpan);
        }

        await ConfirmAsync(item);
    }

    /// <inheritdoc/>
    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!reminderName.StartsWith(ActionReminderPrefix, StringComparison.Ordinal))
        {
            return;
        }

        await RunIfDueAsync(reminderName[ActionReminderPrefix.Length..]);
    }

    /// <inheritdoc/>
    public Task<FollowUpRecord?> GetFollowUpsAsync()
    {
        if (_state.State.Decisions.Count == 0)
        {
            DeactivateOnIdle();
            return Task.FromResult<FollowUpRecord?>(null);
        }

        return Task.FromResult<FollowUpRecord?>(new FollowUpRecord(
            this.GetPrimaryKeyString(), FollowUpName, [.. _state.State.Decisions], [.. _state.State.Actions]));
    }

    /// <summary>Runs a scheduled action whose time has come (from its reminder or its timer, whichever is first).</summary>
    private async Task RunIfDueAsync(string id)
    {
        var reminderName = ActionReminderPrefix + id;
        var index = _state.State.Actions.FindIndex(a => a.Id == id);
        if (index < 0 || _state.State.Actions[index].Status != ActionStatus.Scheduled)
        {
            await UnregisterAsync(reminderName);
            return;
        }

        var action = _state.State.Actions[index];
        if (Time.GetUtcNow() < action.DueAt)
        {
            return;
        }

        var attempts = action.Attempts.ToBuilder();
        var succeeded = await RunAsync(action, attempts);
        _state.State.Actions[index] = action with
        {
            Status = succeeded ? ActionStatus.Succeeded : ActionStatus.Failed,
            Attempts = attempts.ToImmutable(),
            FinishedAt = Time.GetUtcNow(),
        };
        try
        {
            await _state.WriteStateAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not recorded: the action stays scheduled and the next tick runs it again (it is idempotent on its id).
            _state.State.Actions[index] = action;
            FollowUpMessages.OutcomeNotStored(_logger, ex, this.GetPrimaryKeyString(), action.Id);
            return;
        }

        await UnregisterAsync(reminderName);
    }

    /// <inheritdoc/>
    public async Task<CancelResult> CancelAsync(string actionId)
    {
        var index = _state.State.Actions.FindIndex(a => a.Id == actionId);
        if (index < 0)
        {
            return CancelResult.NotFound;
        }

        var action = _state.State.Actions[index];
        if (action.Status != ActionStatus.Scheduled)
        {
            return CancelResult.AlreadyFinished;
        }

        _state.State.Actions[index] = action with { Status = ActionStatus.Cancelled, FinishedAt = Time.GetUtcNow() };
        try
        {
            await _state.WriteStateAsync();
        }
        catch
        {
            _state.State.Actions[index] = action;
            throw;
        }

        await UnregisterAsync(ActionReminderPrefix + actionId);
        return CancelResult.Cancelled;
    }

    /// <summary>Runs the action with retries; records each attempt; true on success.</summary>
    private async Task<bool> RunAsync(ScheduledActionRecord action, ImmutableArray<ActionAttempt>.Builder attempts)
    {
        try
        {
            await _retries.ExecuteAsync(
                async token =>
                {
                    var number = attempts.Count + 1;
                    var started = Time.GetUtcNow();
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        await ExecuteAsync(action, token);
                        attempts.Add(new ActionAttempt(number, started, clock.Elapsed, true, "succeeded"));
                    }
                    catch (Exception ex)
                    {
                        attempts.Add(new ActionAttempt(number, started, clock.Elapsed, false, Describe(ex)));
                        throw;
                    }
                },
                CancellationToken.None);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            FollowUpMessages.ActionFailed(_logger, this.GetPrimaryKeyString(), action.Id, attempts.Count, Describe(ex));
            return false;
        }
    }

    private Task ConfirmAsync(LifecycleEvent item)
    {
        var confirm = StreamNamespaces.IsCallNamespace(item.Namespace)
            ? GrainFactory.GetGrain<ICallGrain>(item.Key).ConfirmEmissionAsync(item.EmissionId, FollowUpName)
            : GrainFactory.GetGrain<IWorkflowExecutionGrain>(item.Key).ConfirmEmissionAsync(item.EmissionId, FollowUpName);
        return ConfirmOrLogAsync(confirm, item);
    }

    private async Task ConfirmOrLogAsync(Task confirm, LifecycleEvent item)
    {
        try
        {
            await confirm;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The producer republishes; the decision is already stored, so that only repeats this confirmation.
            FollowUpMessages.ConfirmationFailed(_logger, ex, item.Key, item.Namespace);
        }
    }

    private async Task UnregisterAsync(string reminderName)
    {
        if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>The retry-with-backoff and per-attempt timeout pipeline every follow-up action runs in.</summary>
    internal static ResiliencePipeline BuildRetryPipeline(FollowUpOptions options) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, options.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.FirstRetryDelay,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

    private static bool IsTransient(Exception ex) => ex switch
    {
        FollowUpActionException f => f.Transient,
        HttpRequestException or TimeoutException or TimeoutRejectedException => true,
        TaskCanceledException => true,
        _ => false,
    };

    private static string Describe(Exception ex) => ex switch
    {
        FollowUpActionException f => f.Message,
        TimeoutRejectedException => "timed out",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    /// <summary>Stable per emission and plan, so a retried decision schedules the same action id.</summary>
    private static string ActionId(LifecycleEvent item, string planName)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{item.EmissionId:N}\n{planName}"));
        return Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

internal static partial class FollowUpMessages
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Follow-up for {Key} on {Namespace}: {Summary}")]
    public static partial void Decided(ILogger logger, string key, string @namespace, string summary);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Follow-up decision for {Key} on {Namespace} not stored; it will be taken again on republish")]
    public static partial void DecisionNotStored(ILogger logger, Exception exception, string key, string @namespace);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Confirming {Namespace} for {Key} failed; the producer will republish")]
    public static partial void ConfirmationFailed(ILogger logger, Exception exception, string key, string @namespace);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Follow-up action {ActionId} for {Key} failed after {Attempts} attempt(s): {Outcome}")]
    public static partial void ActionFailed(ILogger logger, string key, string actionId, int attempts, string outcome);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Outcome of follow-up action {ActionId} for {Key} not stored; it will run again at the next tick")]
    public static partial void OutcomeNotStored(ILogger logger, Exception exception, string key, string actionId);
}
