using CallEvents.Journal;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// The in-memory journal with switchable faults (writes fail, or take longer than the ingress deadline), standing in
/// for a database outage in the embedded host. The PostgreSQL outage tests stop a real server instead.
/// </summary>
public sealed class SwitchableJournal : IJournal
{
    private readonly MemoryJournal _inner = new();
    private volatile bool _failWrites;
    private long _writeDelayTicks;

    public bool FailWrites
    {
        get => _failWrites;
        set => _failWrites = value;
    }

    public TimeSpan WriteDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _writeDelayTicks));
        set => Interlocked.Exchange(ref _writeDelayTicks, value.Ticks);
    }

    public MemoryJournal Inner => _inner;

    public Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, CancellationToken cancellationToken = default) =>
        _inner.ReadAsync(stream, cancellationToken);

    public Task<IReadOnlyList<JournalRecord>> ReadWithPayloadsAsync(string stream, IReadOnlyList<int> sequences, CancellationToken cancellationToken = default) =>
        _inner.ReadWithPayloadsAsync(stream, sequences, cancellationToken);

    public async Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default)
    {
        var delay = WriteDelay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (FailWrites)
        {
            throw new JournalUnavailableException("the journal is switched off for this test");
        }

        await _inner.WriteAsync(write, cancellationToken);
    }

    public Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default) =>
        _inner.ClaimDueAsync(now, lease, max, cancellationToken);
}
