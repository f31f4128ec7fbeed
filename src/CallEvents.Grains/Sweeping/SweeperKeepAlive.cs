using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Sweeping;

/// <summary>
/// Runs on every silo and keeps the sweepers going. Once the silo is active it makes sure the sweepers' reminders (and
/// retention's) exist, trying again until the reminder table answers; then, every <see cref="Period"/>, it calls each
/// sweeper, which activates it wherever Orleans places it. The reminders alone bring back a sweeper lost with its
/// silo only at their next one-minute tick; these calls bring it back within seconds, so republishing, deadlines and
/// follow-up actions keep their time when a silo is lost. The calls cost one message per sweeper per period per silo.
/// </summary>
internal sealed partial class SweeperKeepAlive(
    IGrainFactory grains,
    IOptions<LifecycleOptions> lifecycle,
    IOptions<RetentionOptions> retention,
    ILogger<SweeperKeepAlive> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>How often every silo calls each sweeper.</summary>
    public static TimeSpan Period { get; } = TimeSpan.FromSeconds(5);

    /// <inheritdoc/>
    public void Participate(ISiloLifecycle observer) =>
        observer.Subscribe(nameof(SweeperKeepAlive), ServiceLifecycleStage.Active, Start, StopAsync);

    /// <inheritdoc/>
    public void Dispose() => _stop.Dispose();

    private Task Start(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stops first thing on shutdown, so a leaving silo does not call sweepers back onto itself.
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var sweepers = lifecycle.Value.Sweepers;
        var registered = false;
        var failing = false;
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                if (!registered)
                {
                    // The reminders are stored once for the cluster; every silo makes sure they exist.
                    await Task.WhenAll(Enumerable.Range(0, sweepers).Select(i => grains.GetGrain<IDueSweeperGrain>(i).StartAsync()));
                    if (retention.Value.EraseFinishedAfter is not null)
                    {
                        await grains.GetGrain<IRetentionGrain>(0).StartAsync();
                    }

                    registered = true;
                }
                else
                {
                    await Task.WhenAll(Enumerable.Range(0, sweepers).Select(i => grains.GetGrain<IDueSweeperGrain>(i).KeepAliveAsync()));
                }

                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // A silo that was just lost, or a reminder table that does not answer yet: the next period tries again.
                if (!failing)
                {
                    KeepAliveFailed(logger, ex, registered ? "calling the sweepers" : "making sure the sweepers' reminders exist");
                }

                failing = true;
            }
        }
        while (await WaitAsync(timer, stop));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Keeping the sweepers running failed ({Step}); trying again every few seconds")]
    private static partial void KeepAliveFailed(ILogger logger, Exception exception, string step);
}
