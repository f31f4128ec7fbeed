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

    /// <summary>
    /// Lets <see cref="DefaultUrl"/> be plain <c>http://</c> on a production host (default false: call data is not
    /// sent unencrypted unless someone decided so).
    /// </summary>
    public bool DefaultUrlAllowPlainHttp { get; set; }

    /// <summary>
    /// Lets <see cref="DefaultUrl"/> reach loopback, link-local and private addresses on a production host (default
    /// false), e.g. a CRM inside your own network.
    /// </summary>
    public bool DefaultUrlAllowPrivateNetwork { get; set; }

    /// <summary>The rules, in order.</summary>
    public List<CallbackRule> Rules { get; set; } = [];

    /// <summary>
    /// A Standard Webhooks signing secret (<c>whsec_&lt;base64 key&gt;</c>, 16 to 1024 bytes). When set, every callback
    /// carries <c>webhook-id</c> (the action id, also its <c>Idempotency-Key</c>), <c>webhook-timestamp</c> and
    /// <c>webhook-signature</c>, so the receiver can check it came from this service and was not replayed.
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>
    /// Problems with the configuration, empty when valid. Under a restricted <paramref name="policy"/> (a production
    /// host) every target must be <c>https://</c> and must not name a non-public address, unless its flags allow it.
    /// </summary>
    /// <param name="policy">The host's callback target policy.</param>
    public IEnumerable<string> Problems(CallbackTargetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        const string s = Section;
        if (SigningSecret is not null && StandardWebhooks.DecodeSecret(SigningSecret) is not { Length: >= 16 and <= 1024 })
        {
            yield return $"{s}:SigningSecret must be whsec_ followed by a base64 key of 16 to 1024 bytes.";
        }

        if (DefaultUrl is not null)
        {
            foreach (var problem in TargetProblems(DefaultUrl, AccessOfDefault(), policy))
            {
                yield return problem;
            }
        }
        else if (DefaultUrlAllowPlainHttp || DefaultUrlAllowPrivateNetwork)
        {
            yield return $"{s}:DefaultUrlAllowPlainHttp / DefaultUrlAllowPrivateNetwork are set but {s}:DefaultUrl is not.";
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            var at = $"{s}:Rules:{i}";
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

            if (rule.Url is not null)
            {
                foreach (var problem in TargetProblems(rule.Url, AccessOf(rule, i), policy))
                {
                    yield return problem;
                }
            }
            else if (DefaultUrl is null)
            {
                yield return $"{at}:Url (or {s}:DefaultUrl) must be an absolute http(s) URL.";
            }
            else if (rule.AllowPlainHttp || rule.AllowPrivateNetwork)
            {
                // The flags belong to the URL they allow; on a rule without one they would silently do nothing.
                yield return $"{at}:AllowPlainHttp / AllowPrivateNetwork apply to the rule's own Url, and it has none; "
                    + $"for {s}:DefaultUrl set {s}:DefaultUrlAllowPlainHttp / DefaultUrlAllowPrivateNetwork.";
            }
        }
    }

    /// <summary>
    /// The flags that govern a scheduled callback's target: its rule's when the target is the rule's own URL,
    /// <see cref="DefaultUrl"/>'s when it is that one, none at all when the configuration no longer names it.
    /// </summary>
    internal CallbackTargetAccess AccessFor(string ruleName, string? target)
    {
        var index = Rules.FindIndex(r => string.Equals(r.Name, ruleName, StringComparison.Ordinal));
        if (index >= 0 && Rules[index].Url is { } own && string.Equals(own, target, StringComparison.Ordinal))
        {
            return AccessOf(Rules[index], index);
        }

        return DefaultUrl is not null && string.Equals(DefaultUrl, target, StringComparison.Ordinal)
            ? AccessOfDefault()
            : new CallbackTargetAccess(false, false, $"{Section}:Rules ({ruleName})", "the rule's AllowPlainHttp", "the rule's AllowPrivateNetwork");
    }

    /// <summary>The flags that govern <see cref="DefaultUrl"/>.</summary>
    internal CallbackTargetAccess AccessOfDefault() => new(
        DefaultUrlAllowPlainHttp,
        DefaultUrlAllowPrivateNetwork,
        $"{Section}:DefaultUrl",
        $"{Section}:DefaultUrlAllowPlainHttp",
        $"{Section}:DefaultUrlAllowPrivateNetwork");

    private static CallbackTargetAccess AccessOf(CallbackRule rule, int index) => new(
        rule.AllowPlainHttp,
        rule.AllowPrivateNetwork,
        $"{Section}:Rules:{index}:Url",
        $"{Section}:Rules:{index}:AllowPlainHttp",
        $"{Section}:Rules:{index}:AllowPrivateNetwork");

    private static IEnumerable<string> TargetProblems(string url, CallbackTargetAccess access, CallbackTargetPolicy policy)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"{access.UrlKey} must be an absolute http(s) URL.";
            yield break;
        }

        if (!policy.Restricted)
        {
            yield break;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !access.AllowPlainHttp)
        {
            yield return $"{access.UrlKey} must be https:// on {policy.Description} (callbacks carry call data); "
                + $"set {access.AllowPlainHttpKey}=true to send it unencrypted deliberately.";
        }

        if (!access.AllowPrivateNetwork && CallbackTargets.NonPublicKind(uri) is { } kind)
        {
            yield return $"{access.UrlKey} targets {uri.Host} ({kind} address), which callbacks may not reach on {policy.Description}; "
                + $"set {access.AllowPrivateNetworkKey}=true if the receiver is meant to be inside your network.";
        }
    }
}

/// <summary>What a callback target may be, and the configuration keys that say so (for messages).</summary>
internal sealed record CallbackTargetAccess(bool AllowPlainHttp, bool AllowPrivateNetwork, string UrlKey, string AllowPlainHttpKey, string AllowPrivateNetworkKey);

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

    /// <summary>Lets this rule's own <see cref="Url"/> be plain <c>http://</c> on a production host (default false).</summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>
    /// Lets this rule's own <see cref="Url"/> reach loopback, link-local and private addresses on a production host
    /// (default false), e.g. a receiver inside your own network.
    /// </summary>
    public bool AllowPrivateNetwork { get; set; }
}
