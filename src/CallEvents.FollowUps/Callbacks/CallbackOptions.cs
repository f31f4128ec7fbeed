namespace CallEvents.FollowUps.Callbacks;

/// <summary>
/// The built-in HTTP callback follow-up (configuration section <c>FollowUps:Callbacks</c>). Rules are tried in
/// order; the first that matches an emission decides the one callback for it.
/// </summary>
public sealed class CallbackOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "FollowUps:Callbacks";

    /// <summary>Where callbacks go when a rule names no <see cref="CallbackRule.Url"/>.</summary>
    public string? DefaultUrl { get; set; }

    /// <summary>The rules, in order.</summary>
    public List<CallbackRule> Rules { get; set; } = [];

    /// <summary>
    /// A Standard Webhooks signing secret (<c>whsec_&lt;base64 key&gt;</c>, 16 to 1024 bytes). When set, every callback
    /// carries <c>webhook-id</c> (the action id, also its <c>Idempotency-Key</c>), <c>webhook-timestamp</c> and
    /// <c>webhook-signature</c>, so the receiver can check it came from this service and was not replayed.
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>Problems with the configuration, empty when valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (SigningSecret is not null && StandardWebhooks.DecodeSecret(SigningSecret) is not { Length: >= 16 and <= 1024 })
        {
            yield return "FollowUps:Callbacks:SigningSecret must be whsec_ followed by a base64 key of 16 to 1024 bytes.";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            var at = $"FollowUps:Callbacks:Rules:{i}";
            if (string.IsNullOrWhiteSpace(rule.Name) || !names.Add(rule.Name))
            {
                yield return $"{at}:Name must be set and unique.";
            }

            if (!Enum.TryParse<CallbackTrigger>(rule.On, ignoreCase: true, out _))
            {
                yield return $"{at}:On must be one of {string.Join(", ", Enum.GetNames<CallbackTrigger>())}.";
            }

            if (rule.Delay < TimeSpan.Zero)
            {
                yield return $"{at}:Delay must not be negative.";
            }

            var url = rule.Url ?? DefaultUrl;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                yield return $"{at}:Url (or FollowUps:Callbacks:DefaultUrl) must be an absolute http(s) URL.";
            }
        }
    }
}

/// <summary>Which emission a rule reacts to.</summary>
public enum CallbackTrigger
{
    /// <summary><c>call-pca-ready</c>.</summary>
    PcaReady = 0,

    /// <summary><c>call-stalled</c>.</summary>
    Stalled = 1,

    /// <summary><c>workflow-completed</c>.</summary>
    WorkflowCompleted = 2,

    /// <summary><c>workflow-failed</c>.</summary>
    WorkflowFailed = 3,
}

/// <summary>
/// One callback rule: every criterion that is set must match (case-insensitive); unset criteria match anything.
/// </summary>
public sealed class CallbackRule
{
    /// <summary>Unique name; shown in the follow-up record and sent in the callback body.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary><see cref="CallbackTrigger"/> name: PcaReady (default), Stalled, WorkflowCompleted, WorkflowFailed.</summary>
    public string On { get; set; } = nameof(CallbackTrigger.PcaReady);

    /// <summary>Source (<c>verbex</c>, <c>subverse</c>).</summary>
    public string? Source { get; set; }

    /// <summary>Agent id.</summary>
    public string? AgentId { get; set; }

    /// <summary>Verbex PCA status (e.g. <c>success</c>).</summary>
    public string? PcaStatus { get; set; }

    /// <summary>Verbex PCA reason.</summary>
    public string? PcaReason { get; set; }

    /// <summary>Call outcome (<see cref="CallOutcome"/> name, e.g. <c>Succeeded</c>, <c>Canceled</c>).</summary>
    public string? Outcome { get; set; }

    /// <summary>SubVerse <c>analysis.sentiment</c> (e.g. <c>negative</c>).</summary>
    public string? Sentiment { get; set; }

    /// <summary>SubVerse <c>analysis.customFields</c> that must all be present with these values.</summary>
    public Dictionary<string, string> CustomFields { get; set; } = [];

    /// <summary>Stall reason (<c>EndedWithoutPca</c>, <c>NotEnded</c>), for Stalled rules.</summary>
    public string? StallReason { get; set; }

    /// <summary>Workflow id, for workflow rules.</summary>
    public string? WorkflowId { get; set; }

    /// <summary>How long after the emission the callback is sent (default 0: right away).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Where the callback is POSTed; default <see cref="CallbackOptions.DefaultUrl"/>.</summary>
    public string? Url { get; set; }
}
