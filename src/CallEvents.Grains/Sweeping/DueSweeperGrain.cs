using CallEvents.Journal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Sweeping;

/// <summary>
/// One of the cluster's few sweepers (<c>Lifecycle:Sweepers</c>, keyed 0…n-1): it claims grains whose due time has
/// come and wakes them. While active, a grain timer sweeps every <c>Lifecycle:SweepPeriod</c>. Every silo calls each
/// sweeper every few seconds (<see cref="SweeperKeepAlive"/>), which brings a sweeper lost with its silo back on
/// another one within seconds; one Orleans reminder per sweeper does the same at its one-minute tick, as a backstop.
/// </summary>
public interface IDueSweeperGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder that keeps this sweeper running (idempotent).</summary>
    Task StartAsync();

    /// <summary>Does nothing: being called activates the sweeper (and so starts its timer) wherever it is placed.</summary>
    Task KeepAliveAsync();

    /// <summary>Wakes every grain due now; returns how many were woken.</summary>
    Task<int> SweepAsync();
}

/// <inheritdoc cref="IDueSweeperGrain"/>
public sealed partial class DueSweeperGrain(IJournal journal, IOptions<LifecycleOptions> options, [FromKeyedServices(CallEventClock.Key)] TimeProvider time, ILogger<DueSweeperGrain> logger)
    : Grain, IDueSweeperGrain, IRemindable
{
    private const string KeepAlive = "sweeper";
    private const int ClaimBatch = 256;
    private static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromMinutes(1);

    /// <inheritdoc/>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var period = options.Value.SweepPeriod;
        this.RegisterGrainTimer(static (grain, _) => grain.SweepAsync(), this, new GrainTimerCreationOptions(period, period) { KeepAlive = true });
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StartAsync() => this.RegisterOrUpdateReminder(KeepAlive, KeepAlivePeriod, KeepAlivePeriod);

    /// <inheritdoc/>
    public Task KeepAliveAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask; // being activated is the point

    /// <inheritdoc/>
    public async Task<int> SweepAsync()
    {
        var woken = 0;
        while (true)
        {
            IReadOnlyList<string> due;
            try
            {
                due = await journal.ClaimDueAsync(time.GetUtcNow(), options.Value.SweepLease, ClaimBatch);
            }
            catch (JournalUnavailableException ex)
            {
                // The journal reports outages itself; the next sweep tries again.
                SweepFailed(logger, ex.Message);
                return woken;
            }

            await Task.WhenAll(due.Select(WakeAsync));
            woken += due.Count;
            if (due.Count < ClaimBatch)
            {
                return woken;
            }
        }
    }

    private async Task WakeAsync(string stream)
    {
        try
        {
            await GrainOf(stream).WakeAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The claim's lease expires and a later sweep wakes it again.
            WakeFailed(logger, ex, stream);
        }
    }

    private IDueGrain GrainOf(string stream)
    {
        var (owner, key) = JournalStreams.Split(stream);
        return owner switch
        {
            JournalStreams.CallKind => GrainFactory.GetGrain<ICallGrain>(key),
            JournalStreams.WorkflowKind => GrainFactory.GetGrain<IWorkflowExecutionGrain>(key),
            _ => GrainFactory.GetGrain<IFollowUpGrain>(key, owner),
        };
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Sweep skipped: {Reason}")]
    private static partial void SweepFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Waking {Stream} failed; it is retried after its lease")]
    private static partial void WakeFailed(ILogger logger, Exception exception, string stream);
}
