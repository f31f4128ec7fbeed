namespace CallEvents.FollowUps;

/// <summary>How follow-up actions run (configuration section <c>FollowUps</c>).</summary>
public sealed class FollowUpOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "FollowUps";

    /// <summary>Attempts per action, the first included (default 3).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Delay before the first retry; later retries back off exponentially with jitter (default 1 s).</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time limit of one attempt (default 10 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
