using CallEvents.Journal;

namespace CallEvents.Tests.Journal;

/// <summary>The embedded default's journal keeps the same contract as the PostgreSQL one (see its tests).</summary>
public sealed class MemoryJournalTests
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_taken_sequence_number_is_a_conflict_and_nothing_is_overwritten()
    {
        var journal = new MemoryJournal();
        await journal.WriteAsync(new JournalWrite("call|verbex/a", 1, [1]));
        await Assert.ThrowsAsync<JournalConflictException>(() => journal.WriteAsync(new JournalWrite("call|verbex/a", 1, [2])));
        await Assert.ThrowsAsync<JournalConflictException>(() => journal.WriteAsync(new JournalWrite("call|verbex/a", 3, [3])));
        Assert.Equal([1], (await journal.ReadAsync("call|verbex/a")).Single().Data.ToArray());
    }

    [Fact]
    public async Task Payloads_are_read_only_when_asked_for_and_never_copied()
    {
        var journal = new MemoryJournal();
        var payload = new byte[] { 7, 8, 9 };
        await journal.WriteAsync(new JournalWrite("call|verbex/p", 1, [1], payload));
        Assert.Null((await journal.ReadAsync("call|verbex/p")).Single().Payload);
        var read = (await journal.ReadWithPayloadsAsync("call|verbex/p", [1])).Single().Payload!.Value;
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(read, out var segment) && ReferenceEquals(segment.Array, payload));
    }

    [Fact]
    public async Task Due_times_are_claimed_once_per_lease_and_a_stale_writer_cannot_move_them()
    {
        var journal = new MemoryJournal();
        await journal.WriteAsync(new JournalWrite("call|verbex/d", 1, [1], Due: new DueChange(At)));
        await journal.WriteAsync(new JournalWrite("call|verbex/d", 2, [2]));
        await journal.WriteAsync(new JournalWrite("call|verbex/d", 1, Data: null, Due: DueChange.Clear));
        Assert.Equal(At, journal.DueOf("call|verbex/d"));

        Assert.Equal(["call|verbex/d"], await journal.ClaimDueAsync(At, TimeSpan.FromSeconds(30), 10));
        Assert.Empty(await journal.ClaimDueAsync(At.AddSeconds(29), TimeSpan.FromSeconds(30), 10));
        Assert.Equal(["call|verbex/d"], await journal.ClaimDueAsync(At.AddSeconds(30), TimeSpan.FromSeconds(30), 10));

        await journal.WriteAsync(new JournalWrite("call|verbex/d", 2, Data: null, Due: DueChange.Clear));
        Assert.Null(journal.DueOf("call|verbex/d"));
    }

    [Fact]
    public async Task A_due_change_for_a_stream_that_never_had_records_creates_no_stream()
    {
        var journal = new MemoryJournal();
        await journal.WriteAsync(new JournalWrite("call|verbex/none", 0, Data: null, Due: DueChange.Clear));
        Assert.Empty(journal.StreamNames);
    }
}
