using CallEvents.Journal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Sweeping;

/// <summary>
/// Erases finished calls and workflow executions older than <c>Retention:EraseFinishedAfter</c>, a small batch each
/// minute on one Orleans reminder (one per cluster, key 0). With retention off, its reminder removes itself.
/// </summary>
public interface IRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder (idempotent).</summary>
    Task StartAsync();

    /// <summary>Erases one batch now; returns how many entities were erased.</summary>
    Task<int> RunOnceAsync();
}

/// <inheritdoc cref="IRetentionGrain"/>
public sealed partial class RetentionGrain(IJournal journal, FollowUpRegistry registry, IOptions<RetentionOptions> options, [FromKeyedServices(CallEventClock.Key)] TimeProvider time, ILogger<RetentionGrain> logger)
    : Grain, IRetentionGrain, IRemindable
{
    private const string Tick = "retention";
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    /// <inheritdoc/>
    public Task StartAsync() => this.RegisterOrUpdateReminder(Tick, Period, Period);

    /// <inheritdoc/>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (options.Value.EraseFinishedAfter is null)
        {
            if (await this.GetReminder(Tick) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            return;
        }

        await RunOnceAsync();
    }

    /// <inheritdoc/>
    public async Task<int> RunOnceAsync()
    {
        if (options.Value.EraseFinishedAfter is not { } age)
        {
            return 0;
        }

        IReadOnlyList<string> due;
        try
        {
            due = await journal.FinishedBeforeAsync(time.GetUtcNow() - age, options.Value.MaxPerMinute);
        }
        catch (JournalUnavailableException ex)
        {
            Skipped(logger, ex.Message);
            return 0;
        }

        var erased = 0;
        foreach (var stream in due)
        {
            var (kind, key) = JournalStreams.Split(stream);
            try
            {
                var done = kind == JournalStreams.CallKind
                    ? await GrainFactory.EraseCallAsync(registry, key)
                    : await GrainFactory.EraseWorkflowAsync(registry, key);
                erased += done ? 1 : 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The entity stays in the index; the next run tries again.
                NotErased(logger, ex, key);
            }
        }

        if (erased > 0)
        {
            Erased(logger, erased, age);
        }

        return erased;
    }

    [LoggerMessage(EventId = 1111, Level = LogLevel.Information, Message = "Retention erased {Count} finished entities older than {Age}")]
    private static partial void Erased(ILogger logger, int count, TimeSpan age);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Debug, Message = "Retention skipped a run: {Reason}")]
    private static partial void Skipped(ILogger logger, string reason);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Debug, Message = "Retention could not erase {Key} now; it is tried again later")]
    private static partial void NotErased(ILogger logger, Exception exception, string key);
}
