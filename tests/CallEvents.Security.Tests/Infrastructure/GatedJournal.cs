using CallEvents.Journal;
using CallEvents.TestSupport;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>
/// The in-memory journal, except that writes to streams of entities whose id contains <c>slow-</c> wait until the test
/// opens the gate: a hot call whose grain is busy, without timing anything.
/// </summary>
public sealed class GatedJournal : DelegatingJournal
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    /// <summary>Writes held at the gate right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public void Open() => _gate.TrySetResult();

    public override async Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default)
    {
        if (write.Stream.Contains("slow-", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await _gate.Task;
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        await base.WriteAsync(write, cancellationToken);
    }
}
