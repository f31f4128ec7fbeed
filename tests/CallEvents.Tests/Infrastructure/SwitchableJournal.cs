using CallEvents.Journal;
using CallEvents.TestSupport;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// The in-memory journal with switchable faults (writes fail, or take longer than the ingress deadline), standing in
/// for a database outage in the embedded host. The PostgreSQL outage tests stop a real server instead.
/// </summary>
public sealed class SwitchableJournal : DelegatingJournal
{
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

    public override async Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default)
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

        await base.WriteAsync(write, cancellationToken);
    }
}
