using System.Diagnostics;
using System.Globalization;

namespace CallEvents.TestSupport;

/// <summary>Polls for a condition instead of sleeping for a fixed time.</summary>
public static class Wait
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Evaluates <paramref name="condition"/> until it returns <see langword="true"/>, with short,
    /// growing pauses (20 ms up to 250 ms) in between. An exception thrown by the condition counts
    /// as "not yet" and is reported if the wait times out.
    /// </summary>
    /// <param name="condition">The condition to poll.</param>
    /// <param name="timeout">How long to keep polling.</param>
    /// <param name="whatWasAwaited">Describes the condition for the timeout message, e.g. "the reminder to fire".</param>
    /// <exception cref="TimeoutException">The condition did not become true in time.</exception>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string whatWasAwaited)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentException.ThrowIfNullOrWhiteSpace(whatWasAwaited);

        var stopwatch = Stopwatch.StartNew();
        var delay = FirstDelay;
        var attempts = 0;
        while (true)
        {
            Exception? lastError = null;
            attempts++;
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                lastError = ex;
            }

            if (stopwatch.Elapsed >= timeout)
            {
                var message = string.Create(
                    CultureInfo.InvariantCulture,
                    $"Timed out after {timeout.TotalSeconds:0.###} s ({attempts} checks) waiting for {whatWasAwaited}.");
                if (lastError is not null)
                {
                    message += $" The last check failed: {lastError.GetType().Name}: {lastError.Message}";
                }

                throw new TimeoutException(message, lastError);
            }

            var remaining = timeout - stopwatch.Elapsed;
            await Task.Delay(remaining < delay ? remaining : delay).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }

    /// <summary>Synchronous-condition overload of <see cref="UntilAsync(Func{Task{bool}}, TimeSpan, string)"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string whatWasAwaited)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), timeout, whatWasAwaited);
    }
}
