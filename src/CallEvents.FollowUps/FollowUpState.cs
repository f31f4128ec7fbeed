using System.Collections.Immutable;

namespace CallEvents.FollowUps;

/// <summary>
/// One journal record of a follow-up grain: a decision (taken once per emission, which is also how repeated deliveries
/// are recognised), and/or an action in its new form (scheduled, finished, cancelled or rescheduled).
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.FollowUpEntry")]
internal sealed record FollowUpEntry
{
    [Id(0)] public FollowUpDecisionRecord? Decision { get; init; }

    [Id(1)] public ScheduledActionRecord? Action { get; init; }

    /// <summary>Erasure: this record replaced all others; only the ids of emissions already decided stay.</summary>
    [Id(2)] public ImmutableArray<Guid>? ErasedDecisions { get; init; }
}

/// <summary>A follow-up grain's state: the fold of its records. Immutable, so a failed write leaves nothing to undo.</summary>
internal sealed record FollowUpState
{
    public static FollowUpState Empty { get; } = new();

    /// <summary>Decisions, in the order taken.</summary>
    public ImmutableList<FollowUpDecisionRecord> Decisions { get; init; } = [];

    /// <summary>Actions in their latest form, in the order scheduled.</summary>
    public ImmutableList<ScheduledActionRecord> Actions { get; init; } = [];

    /// <summary>Emissions decided before an erasure.</summary>
    public ImmutableHashSet<Guid> ErasedDecisions { get; init; } = [];

    public FollowUpState Apply(FollowUpEntry entry)
    {
        if (entry.ErasedDecisions is { } erased)
        {
            return Empty with { ErasedDecisions = [.. erased] };
        }

        var next = entry.Decision is { } decision ? this with { Decisions = Decisions.Add(decision) } : this;
        if (entry.Action is { } action)
        {
            var index = next.Actions.FindIndex(a => a.Id == action.Id);
            next = next with { Actions = index < 0 ? next.Actions.Add(action) : next.Actions.SetItem(index, action) };
        }

        return next;
    }

    public bool HasDecided(Guid emissionId) => ErasedDecisions.Contains(emissionId) || Decisions.Any(d => d.EmissionId == emissionId);

    /// <summary>When the earliest scheduled action is due; null when none waits.</summary>
    public DateTimeOffset? NextDue() =>
        Actions.Where(a => a.Status == ActionStatus.Scheduled).Select(a => (DateTimeOffset?)a.DueAt).Min();
}

/// <summary>A follow-up grain's decision to act: what, when, where, and with which payload.</summary>
/// <param name="Name">What the action is (shown in the follow-up record; e.g. the rule name).</param>
/// <param name="Delay">How long after the decision it runs.</param>
/// <param name="Target">Where it goes, if it has a target (e.g. a URL).</param>
/// <param name="Payload">What it carries (e.g. the JSON body), fixed at decision time.</param>
public sealed record FollowUpPlan(string Name, TimeSpan Delay, string? Target = null, string? Payload = null);

/// <summary>Thrown by an action to say how it failed: transient failures are retried with backoff, others end it.</summary>
public sealed class FollowUpActionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FollowUpActionException(string message, bool transient)
        : base(message) => Transient = transient;

    /// <summary>Creates the exception.</summary>
    public FollowUpActionException()
        : this("The follow-up action failed.", transient: true)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FollowUpActionException(string message)
        : this(message, transient: true)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FollowUpActionException(string message, Exception innerException)
        : base(message, innerException) => Transient = true;

    /// <summary>Whether trying again may succeed.</summary>
    public bool Transient { get; }
}
