using System.Collections.Concurrent;
using Orleans;
using Orleans.Runtime;

namespace CallEvents.PostgreSql.Tests;

public static class TestStorage
{
    /// <summary>The named grain storage the test grains use, registered by UsePostgreSqlDurability.</summary>
    public const string Name = "callevents-test";
}

[GenerateSerializer]
public sealed class JournalState
{
    [Id(0)]
    public List<string> Entries { get; set; } = [];
}

public interface IJournalGrain : IGrainWithStringKey
{
    Task Append(string entry);

    Task<IReadOnlyList<string>> Read();
}

/// <summary>Keeps a list of strings in PostgreSQL grain storage.</summary>
public sealed class JournalGrain([PersistentState("s", TestStorage.Name)] IPersistentState<JournalState> state)
    : Grain, IJournalGrain
{
    public async Task Append(string entry)
    {
        state.State.Entries.Add(entry);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> Read() => Task.FromResult<IReadOnlyList<string>>(state.State.Entries);
}

public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task Start(TimeSpan dueTime, TimeSpan period);

    Task Stop();
}

/// <summary>Counts the ticks of its reminder in <see cref="Ticks"/> (the test silos run in-process).</summary>
public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";

    public static ConcurrentDictionary<string, int> Ticks { get; } = new(StringComparer.Ordinal);

    public async Task Start(TimeSpan dueTime, TimeSpan period) =>
        await this.RegisterOrUpdateReminder(ReminderName, dueTime, period);

    public async Task Stop()
    {
        var reminder = await this.GetReminder(ReminderName);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.AddOrUpdate(this.GetPrimaryKeyString(), 1, (_, count) => count + 1);
        return Task.CompletedTask;
    }
}
