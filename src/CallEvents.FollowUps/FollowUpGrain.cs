using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CallEvents.Journal;
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
/// deliveries are recognised by emission id), confirms it to the producer, keeps decisions and actions in the journal
/// (stream <c>{grain class}|{key}</c>), runs each action when due, with retries and backoff, and records every attempt.
/// </summary>
/// <remarks>
/// Guarantee: an emission is delivered at least once (the producer republishes until confirmed) and decided
/// exactly once. A scheduled action's due time is stored with the decision, so a sweeper wakes the grain to run it
/// even after every silo restarted; while the grain is active, a timer runs it on time. If a silo dies after an action
/// succeeded but before that was stored, it runs again, so actions must be idempotent on their id (HTTP callbacks
/// carry it as <c>Idempotency-Key</c>).
/// </remarks>
public abstract class FollowUpGrain : Grain, IFollowUpGrain, IStreamSubscriptionObserver, IAsyncObserver<LifecycleEvent>
{
    private readonly FollowUpServices _services;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _retries;
    private readonly string _key;
    private readonly JournaledState<FollowUpState, FollowUpEntry> _state;

    /// <summary>Creates the grain; its journal stream is named after the grain class.</summary>
    protected FollowUpGrain(FollowUpServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        _logger = services.Loggers.CreateLogger(GetType());
        // One pipeline per silo: building it validates its options by reflection, far too costly per activation.
        _retries = services.Retries;
        _key = this.GetPrimaryKeyString();
        _state = new(services.Journal, services.Serializer, JournalStreams.FollowUp(FollowUpName, _key), FollowUpState.Empty, static (state, entry, _) => state.Apply(entry), _logger);
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

        var state = await _state.LoadAsync();
        if (state.HasDecided(item.EmissionId))
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
            DueAt = now + Max(plan.Delay, TimeSpan.Zero),
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

        // The action's due time is stored with the decision: from here on it does not depend on this activation.
        var entry = new FollowUpEntry { Decision = decision, Action = action };
        var next = state.Apply(entry);
        if (!await _state.AppendAsync(entry, next, null, null, new DueChange(next.NextDue()), $"Decision on {item.Namespace}"))
        {
            // Not confirmed: the producer republishes and this decision is taken again.
            FollowUpMessages.DecisionNotStored(_logger, item.Key, item.Namespace);
            throw new JournalUnavailableException($"The decision on emission {item.EmissionId} could not be stored; it will be taken again.");
        }

        FollowUpMessages.Decided(_logger, item.Key, item.Namespace, decision.Summary);
        if (action is not null)
        {
            CountAction("scheduled");
            RunOnTime(action);
        }

        await ConfirmAsync(item);
    }

    /// <inheritdoc/>
    public Task OnCompletedAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task WakeAsync()
    {
        var state = await _state.LoadAsync();
        var now = Time.GetUtcNow();
        var due = state.Actions.Where(a => a.Status == ActionStatus.Scheduled && a.DueAt <= now).Select(a => a.Id).ToList();
        foreach (var id in due)
        {
            await RunIfDueAsync(id);
        }

        // Every wake stores the due time again: the sweeper's claim moved it.
        await _state.SetDueAsync((await _state.LoadAsync()).NextDue());
    }

    /// <inheritdoc/>
    public async Task<FollowUpRecord?> GetFollowUpsAsync()
    {
        var state = await _state.LoadAsync();
        if (state.Decisions.IsEmpty)
        {
            DeactivateOnIdle();
            return null;
        }

        return new FollowUpRecord(_key, FollowUpName, [.. state.Decisions], [.. state.Actions]);
    }

    /// <inheritdoc/>
    public async Task<CancelResult> CancelAsync(string actionId)
    {
        var state = await _state.LoadAsync();
        var action = state.Actions.Find(a => a.Id == actionId);
        if (action is null)
        {
            return CancelResult.NotFound;
        }

        if (action.Status != ActionStatus.Scheduled)
        {
            return CancelResult.AlreadyFinished;
        }

        var entry = new FollowUpEntry { Action = action with { Status = ActionStatus.Cancelled, FinishedAt = Time.GetUtcNow() } };
        var next = state.Apply(entry);
        if (!await _state.AppendAsync(entry, next, null, null, new DueChange(next.NextDue()), $"Cancellation of {actionId}"))
        {
            throw new JournalUnavailableException($"The cancellation of action {actionId} could not be stored; retry later.");
        }

        return CancelResult.Cancelled;
    }

    /// <inheritdoc/>
    public async Task<RetryResult> RetryAsync(string actionId)
    {
        var state = await _state.LoadAsync();
        var action = state.Actions.Find(a => a.Id == actionId);
        if (action is null)
        {
            return RetryResult.NotFound;
        }

        if (action.Status != ActionStatus.Failed)
        {
            return RetryResult.NotFailed;
        }

        // Same id (and so the same Idempotency-Key); earlier attempts stay on record and the new ones follow them.
        var again = action with { Status = ActionStatus.Scheduled, DueAt = Time.GetUtcNow(), FinishedAt = null };
        var entry = new FollowUpEntry { Action = again };
        var next = state.Apply(entry);
        if (!await _state.AppendAsync(entry, next, null, null, new DueChange(next.NextDue()), $"Retry of {actionId}"))
        {
            throw new JournalUnavailableException($"The retry of action {actionId} could not be stored; retry later.");
        }

        RunOnTime(again);
        return RetryResult.Retrying;
    }

    /// <inheritdoc/>
    public async Task EraseAsync()
    {
        var state = await _state.LoadAsync();
        if (state.Decisions.IsEmpty && state.Actions.IsEmpty)
        {
            DeactivateOnIdle();
            return;
        }

        var tombstone = new FollowUpEntry { ErasedDecisions = [.. state.ErasedDecisions, .. state.Decisions.Select(d => d.EmissionId)] };
        if (!await _state.EraseAsync(tombstone, state.Apply(tombstone)))
        {
            throw new JournalUnavailableException($"The follow-ups of {_key} could not be erased now; retry later.");
        }
    }

    /// <summary>Runs a scheduled action whose time has come (from a wake or its timer, whichever is first).</summary>
    private async Task RunIfDueAsync(string id)
    {
        var state = await _state.LoadAsync();
        var action = state.Actions.Find(a => a.Id == id);
        if (action is not { Status: ActionStatus.Scheduled } || Time.GetUtcNow() < action.DueAt)
        {
            return;
        }

        var attempts = action.Attempts.ToBuilder();
        bool succeeded;
        using (var activity = CallEventsTelemetry.Source.StartActivity("callevents.followup.action"))
        {
            activity?.SetTag("callevents.followup", FollowUpName);
            activity?.SetTag("callevents.action", action.Name);
            succeeded = await RunAsync(action, attempts);
            activity?.SetStatus(succeeded ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        }

        CountAction(succeeded ? "succeeded" : "failed");
        var entry = new FollowUpEntry
        {
            Action = action with
            {
                Status = succeeded ? ActionStatus.Succeeded : ActionStatus.Failed,
                Attempts = attempts.ToImmutable(),
                FinishedAt = Time.GetUtcNow(),
            },
        };
        var next = state.Apply(entry);
        if (!await _state.AppendAsync(entry, next, null, null, new DueChange(next.NextDue()), $"Outcome of action {id}"))
        {
            // Not recorded: the action stays scheduled and runs again when next due (it is idempotent on its id).
            FollowUpMessages.OutcomeNotStored(_logger, _key, id);
        }
    }

    private void CountAction(string stage) =>
        CallEventsTelemetry.FollowUpActions.Add(
            1,
            new KeyValuePair<string, object?>("callevents.followup", FollowUpName),
            new KeyValuePair<string, object?>("callevents.stage", stage));

    /// <summary>A timer runs the action on time while this activation lives; the stored due time covers the rest.</summary>
    private void RunOnTime(ScheduledActionRecord action) =>
        this.RegisterGrainTimer(
            static (state, _) => state.Grain.RunIfDueAsync(state.ActionId),
            (Grain: this, ActionId: action.Id),
            Max(action.DueAt - Time.GetUtcNow(), TimeSpan.Zero),
            Timeout.InfiniteTimeSpan);

    /// <summary>Runs the action with retries; records each attempt; true on success.</summary>
    private async Task<bool> RunAsync(ScheduledActionRecord action, ImmutableArray<ActionAttempt>.Builder attempts)
    {
        try
        {
            await _retries.ExecuteAsync(
                async token =>
                {
                    var number = attempts.Count + 1;
                    CountAction("attempted");
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
            FollowUpMessages.ActionFailed(_logger, _key, action.Id, attempts.Count, Describe(ex));
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

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "Follow-up decision for {Key} on {Namespace} not stored; it will be taken again on republish")]
    public static partial void DecisionNotStored(ILogger logger, string key, string @namespace);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Confirming {Namespace} for {Key} failed; the producer will republish")]
    public static partial void ConfirmationFailed(ILogger logger, Exception exception, string key, string @namespace);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Follow-up action {ActionId} for {Key} failed after {Attempts} attempt(s): {Outcome}")]
    public static partial void ActionFailed(ILogger logger, string key, string actionId, int attempts, string outcome);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Outcome of follow-up action {ActionId} for {Key} not stored; it will run again when next due")]
    public static partial void OutcomeNotStored(ILogger logger, string key, string actionId);
}
