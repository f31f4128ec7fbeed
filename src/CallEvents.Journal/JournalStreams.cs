namespace CallEvents.Journal;

/// <summary>
/// Names of journal streams: <c>{owner}|{grain key}</c>, where the owner is <see cref="CallKind"/>,
/// <see cref="WorkflowKind"/> or a follow-up grain's full class name. The owner tells a sweeper which grain to wake.
/// </summary>
public static class JournalStreams
{
    /// <summary>The owner of call streams.</summary>
    public const string CallKind = "call";

    /// <summary>The owner of workflow-execution streams.</summary>
    public const string WorkflowKind = "workflow";

    private const char Separator = '|';

    /// <summary>The stream of the call grain with key <paramref name="key"/> (<c>{source}/{callId}</c>).</summary>
    public static string Call(string key) => CallKind + Separator + key;

    /// <summary>The stream of the workflow-execution grain with key <paramref name="key"/>.</summary>
    public static string Workflow(string key) => WorkflowKind + Separator + key;

    /// <summary>The stream of the follow-up grain class <paramref name="followUp"/> (its full name) for <paramref name="key"/>.</summary>
    public static string FollowUp(string followUp, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(followUp);
        if (followUp.Contains(Separator, StringComparison.Ordinal) || followUp is CallKind or WorkflowKind)
        {
            throw new ArgumentException($"'{followUp}' cannot name a follow-up stream.", nameof(followUp));
        }

        return followUp + Separator + key;
    }

    /// <summary>Splits a stream name into its owner and grain key.</summary>
    public static (string Owner, string Key) Split(string stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var at = stream.IndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? (string.Empty, stream) : (stream[..at], stream[(at + 1)..]);
    }
}
