namespace CallEvents.FollowUps;

/// <summary>
/// Persisted state of a follow-up grain: one decision per emission handled (which is also how repeated
/// deliveries are recognised) and the actions it scheduled, with every attempt.
/// Give each follow-up grain class its own state name: grain storage rows are keyed by state name and grain key.
/// </summary>
[GenerateSerializer, Alias("callevents.FollowUpState")]
public sealed class FollowUpState
{
    /// <summary>Decisions, in the order taken.</summary>
    [Id(0)] public List<FollowUpDecisionRecord> Decisions { get; set; } = [];

    /// <summary>Scheduled actions, in the order scheduled.</summary>
    [Id(1)] public List<ScheduledActionRecord> Actions { get; set; } = [];
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
