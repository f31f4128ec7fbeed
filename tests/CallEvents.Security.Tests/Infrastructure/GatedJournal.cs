using CallEvents.Journal;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>
/// The in-memory journal, except that writes to streams of entities whose id contains <c>slow-</c> wait until the test
/// opens the gate: a hot call whose grain is busy, without timing anything.
/// </summary>
public sealed class GatedJournal : IJournal
{
    private readonly MemoryJournal _inner = new();
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    /// <summary>Writes held at the gate right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public void Open() => _gate.TrySetResult();

    public Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(stream, cancellationToken);

    public Task<IReadOnlyList<JournalRecord>> ReadWithPayloadsAsync(string stream, IReadOnlyList<int> sequences, CancellationToken cancellationToken = default) =>
        _inner.ReadWithPayloadsAsync(stream, sequences, cancellationToken);

    public async Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default)
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

        await _inner.WriteAsync(write, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default) =>
        _inner.ClaimDueAsync(now, lease, max, cancellationToken);
}
