using System.Globalization;
using CallEvents.LoadTest.Metrics;
using CallEvents.LoadTest.Targets;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Running;

/// <summary>How to drive the load.</summary>
public sealed record LoadShape
{
    /// <summary>Closed loop: this many workers, each sending its next delivery when the previous one is answered.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Open loop: deliveries per second on a fixed schedule (overrides <see cref="Concurrency"/>).</summary>
    public double? Rate { get; init; }

    /// <summary>Open loop: most deliveries in flight; beyond it the schedule waits (latency still counts from the due time).</summary>
    public int MaxInFlight { get; init; } = 20_000;

    /// <summary>Stop sending new deliveries after this long (null: until the workload is exhausted).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Deliveries completed before this point are verified but not measured.</summary>
    public double WarmupSeconds { get; init; }

    /// <summary>Retries after the first attempt for 5xx, 408, 429, timeouts and lost connections.</summary>
    public int Retries { get; init; } = 6;

    /// <summary>First retry delay; doubles per retry (with jitter), capped at 5 s.</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A provider's fixed retry schedule (e.g. SubVerse's 1 s, 5 s, 25 s): the pause before each retry, one per
    /// retry; when set it replaces <see cref="Retries"/> and <see cref="RetryBase"/>.
    /// </summary>
    public IReadOnlyList<TimeSpan>? RetryDelays { get; init; }

    /// <summary>Kill a silo this many seconds into the run (needs a fault injector).</summary>
    public double? KillSiloAt { get; init; }

    /// <summary>Print a progress line every second.</summary>
    public bool Progress { get; init; } = true;

    public string Describe() => Rate is { } rate
        ? string.Create(CultureInfo.InvariantCulture, $"open loop, {rate:0} deliveries/s scheduled (max {MaxInFlight} in flight)")
        : string.Create(CultureInfo.InvariantCulture, $"closed loop, concurrency {Concurrency}");
}

/// <summary>What a run did, beside its statistics.</summary>
public sealed record RunOutcome(TimeSpan SendPhase, IReadOnlyList<string> FaultLog);

/// <summary>
/// Sends the workload to a target in a closed or open loop, retrying like a provider (bounded retries with
/// exponential backoff), recording acknowledgement latency from the moment each delivery was due.
/// </summary>
public sealed class LoadRunner(WorkloadGenerator generator, IDeliveryTarget target, RunStats stats, LoadShape shape, TextWriter progress)
{
    private static readonly bool Redirected = Console.IsErrorRedirected;
    private long _inFlight;

    /// <summary>Called after every attempt with the second it was sent at (on the run's clock); may be null.</summary>
    public Action<Delivery, AttemptResult, double>? AttemptObserver { get; init; }

    /// <summary>
    /// Whether to go on sending new deliveries at this point of the run (null: until <see cref="LoadShape.Duration"/>);
    /// the chaos mode keeps the load going until its last fault has been carried out.
    /// </summary>
    public Func<TimeSpan, bool>? KeepSending { get; init; }
    private long _lastAcknowledged;
    private double _lastSeconds;

    public async Task<RunOutcome> RunAsync(IFaultInjector? faults, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(generator);
        stats.Start(shape.WarmupSeconds);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var faultLog = new List<string>();
        var faultTask = faults is not null && shape.KillSiloAt is { } at
            ? InjectAsync(faults, at, faultLog, stop.Token)
            : Task.CompletedTask;
        var progressTask = shape.Progress ? ReportProgressAsync(stop.Token) : Task.CompletedTask;

        if (shape.Rate is { } rate)
        {
            await OpenLoopAsync(rate, cancellationToken);
        }
        else
        {
            await ClosedLoopAsync(cancellationToken);
        }

        var sendPhase = stats.Elapsed;
        await stop.CancelAsync();
        await SwallowCancellation(faultTask);
        await SwallowCancellation(progressTask);
        if (shape.Progress)
        {
            await WriteProgressAsync();
            await progress.WriteLineAsync();
        }

        return new RunOutcome(sendPhase, faultLog);
    }

    private bool TimeLeft => KeepSending?.Invoke(stats.Elapsed) ?? (shape.Duration is not { } d || stats.Elapsed < d);

    private async Task ClosedLoopAsync(CancellationToken cancellationToken)
    {
        var workers = Enumerable.Range(0, Math.Max(1, shape.Concurrency)).Select(_ => Task.Run(
            async () =>
            {
                while (!cancellationToken.IsCancellationRequested && TimeLeft && generator.TryNext(out var delivery))
                {
                    if (delivery.DelayMs > 0)
                    {
                        await Task.Delay(delivery.DelayMs, cancellationToken);
                    }

                    Interlocked.Increment(ref _inFlight);
                    try
                    {
                        await DeliverAsync(delivery, stats.NowTicks, cancellationToken);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _inFlight);
                    }
                }
            },
            cancellationToken));
        await Task.WhenAll(workers);
    }

    private async Task OpenLoopAsync(double rate, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.TicksPerSecond / rate;
        using var slots = new SemaphoreSlim(shape.MaxInFlight);
        var pending = new List<Task>();
        long index = 0;
        var exhausted = false;
        while (!exhausted && !cancellationToken.IsCancellationRequested && TimeLeft)
        {
            var now = stats.NowTicks;
            while ((long)(index * interval) <= now)
            {
                if (!generator.TryNext(out var delivery))
                {
                    exhausted = true;
                    break;
                }

                var due = (long)(index * interval) + (delivery.DelayMs * TimeSpan.TicksPerMillisecond);
                index++;
                await slots.WaitAsync(cancellationToken);
                Interlocked.Increment(ref _inFlight);
                pending.Add(SendScheduledAsync(delivery, due, slots, cancellationToken));
            }

            if (pending.Count > 50_000)
            {
                pending.RemoveAll(t => t.IsCompleted);
            }

            await Task.Delay(1, cancellationToken);
        }

        await Task.WhenAll(pending);
    }

    private async Task SendScheduledAsync(Delivery delivery, long dueTicks, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            var wait = dueTicks - stats.NowTicks;
            if (wait > TimeSpan.TicksPerMillisecond)
            {
                await Task.Delay(TimeSpan.FromTicks(wait), cancellationToken);
            }

            await Task.Yield();
            await DeliverAsync(delivery, dueTicks, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            slots.Release();
        }
    }

    private async Task DeliverAsync(Delivery delivery, long dueTicks, CancellationToken cancellationToken)
    {
        stats.DeliveryStarted();
        var retries = shape.RetryDelays?.Count ?? shape.Retries;
        for (var attempt = 0; ; attempt++)
        {
            delivery.Event.RecordSent();
            stats.AttemptStarted();
            var sentAt = stats.Elapsed.TotalSeconds;
            AttemptResult result;
            try
            {
                result = await target.SendAsync(delivery, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                result = new AttemptResult(AttemptOutcome.RetryUncertain, ex.GetType().Name);
            }

            stats.Answered(result);
            AttemptObserver?.Invoke(delivery, result, sentAt);

            switch (result.Outcome)
            {
                case AttemptOutcome.Acknowledged:
                    delivery.Event.RecordAcknowledged();
                    stats.Acknowledge(stats.NowTicks - dueTicks, result.Duplicate);
                    return;
                case AttemptOutcome.Rejected:
                    stats.Failed(result.Kind);
                    return;
                case AttemptOutcome.RetryUncertain:
                    delivery.Event.RecordUncertain();
                    break;
                default:
                    break;
            }

            if (attempt >= retries)
            {
                stats.Failed($"{result.Kind} (retries exhausted)");
                return;
            }

            stats.Retried(result.Kind);
            if (shape.RetryDelays is { } delays)
            {
                await Task.Delay(delays[attempt], cancellationToken);
                continue;
            }

            var backoff = Math.Min(5000, shape.RetryBase.TotalMilliseconds * Math.Pow(2, attempt));
            await Task.Delay(TimeSpan.FromMilliseconds(backoff * (0.75 + (Random.Shared.NextDouble() * 0.5))), cancellationToken);
        }
    }

    private async Task InjectAsync(IFaultInjector faults, double at, List<string> log, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(at), cancellationToken);
        stats.Mark("kill");
        var what = await faults.KillAndReplaceAsync(cancellationToken);
        stats.Mark("replacement up");
        lock (log)
        {
            log.Add(string.Create(CultureInfo.InvariantCulture, $"t={at:0.0}s: {what} (replacement ready at t={stats.Elapsed.TotalSeconds:0.0}s)"));
        }

        await progress.WriteLineAsync();
        await progress.WriteLineAsync($"  fault: {what}");
    }

    private async Task ReportProgressAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            await WriteProgressAsync();
        }
    }

    private async Task WriteProgressAsync()
    {
        var seconds = stats.Elapsed.TotalSeconds;
        var acknowledged = stats.Acknowledged;
        var recent = seconds - _lastSeconds <= 0 ? 0 : (acknowledged - _lastAcknowledged) / (seconds - _lastSeconds);
        _lastAcknowledged = acknowledged;
        _lastSeconds = seconds;
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{(Redirected ? string.Empty : "\r")}[{seconds,6:0.0}s] acked {acknowledged,10:N0}  {recent,9:N0}/s now  {(seconds > 0 ? acknowledged / seconds : 0),9:N0}/s avg  p99 so far {RunStats.Percentile(stats.AllLatency, 99) / 1000.0,8:0.0} ms  retries {stats.Retries,6:N0}  errors {stats.FinalErrors,6:N0}  in flight {Interlocked.Read(ref _inFlight),6:N0}{(Redirected ? "\n" : "   ")}");
        await progress.WriteAsync(line);
        await progress.FlushAsync();
    }

    private static async Task SwallowCancellation(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
