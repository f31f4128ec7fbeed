namespace CallEvents.Ingress.Security;

/// <summary>
/// Credentials, tenant bindings and limits of the HTTP surface (configuration section <c>Security</c>). Secrets
/// come from configuration or the environment (<c>Security__Sources__subverse__Credentials__0__Secret=…</c>) and
/// are never logged or echoed.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Security";

    /// <summary>
    /// Lets a surface (a webhook source or the operator API) with no credentials of its own run open, and lets a
    /// production host start with no credentials at all. Default false: such surfaces answer 401.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// How far a Standard Webhooks <c>webhook-timestamp</c> may be from our clock, either way (default 5 minutes).
    /// Older or newer deliveries are refused as possible replays.
    /// </summary>
    public TimeSpan SignatureTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Credentials per webhook source, keyed by source name (<c>verbex</c>, <c>subverse</c>).</summary>
    public IDictionary<string, SourceSecurityOptions> Sources { get; } = new Dictionary<string, SourceSecurityOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Keys for the operator (query) API, sent as <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-API-Key</c>.</summary>
    public IList<OperatorKeyOptions> OperatorKeys { get; } = new List<OperatorKeyOptions>();

    /// <summary>Per-source rate limits of the webhook endpoints.</summary>
    public WebhookRateLimitOptions RateLimit { get; } = new();

    /// <summary>Request limits (headers, time, concurrency per entity).</summary>
    public RequestLimitOptions Limits { get; } = new();
}

/// <summary>What a webhook source must present. With both lists set, a delivery must pass both.</summary>
public sealed class SourceSecurityOptions
{
    /// <summary>Accepted header credentials: a delivery passes when one of them matches exactly.</summary>
    public IList<HeaderCredentialOptions> Credentials { get; } = new List<HeaderCredentialOptions>();

    /// <summary>
    /// Standard Webhooks signing secrets (<c>whsec_&lt;base64&gt;</c>); a delivery passes when its
    /// <c>webhook-signature</c> verifies with one of them. Several secrets allow rotation.
    /// </summary>
    public IList<SigningSecretOptions> SigningSecrets { get; } = new List<SigningSecretOptions>();

    /// <summary>
    /// The status a verified delivery over the rate limit gets: 503 (default) or 429. SubVerse retries only 5xx and
    /// timeouts, so a 429 loses its delivery for good; choose 429 only for a provider known to retry it.
    /// </summary>
    public int OverloadStatusCode { get; set; } = 503;
}

/// <summary>A header the provider sends with a fixed secret value, e.g. <c>Authorization: Bearer …</c> or <c>X-API-Key: …</c>.</summary>
public sealed class HeaderCredentialOptions
{
    /// <summary>A label for logs (never the secret); default: the header name and position.</summary>
    public string? Name { get; set; }

    /// <summary>The header name (default <c>Authorization</c>).</summary>
    public string Header { get; set; } = "Authorization";

    /// <summary>The exact header value expected, e.g. <c>Bearer 6f1c…</c>; at least 16 characters after any <c>Bearer </c>.</summary>
    public string? Secret { get; set; }

    /// <summary>When set, deliveries with this credential belong to this organization (tenant) only.</summary>
    public string? OrganizationId { get; set; }
}

/// <summary>A Standard Webhooks signing secret.</summary>
public sealed class SigningSecretOptions
{
    /// <summary>A label for logs (never the secret); default: its position.</summary>
    public string? Name { get; set; }

    /// <summary><c>whsec_</c> followed by the base64 key (the prefix may be omitted); the key is 16 to 1024 bytes.</summary>
    public string? Secret { get; set; }

    /// <summary>When set, deliveries signed with this secret belong to this organization (tenant) only.</summary>
    public string? OrganizationId { get; set; }
}

/// <summary>A key for the operator (query) API.</summary>
public sealed class OperatorKeyOptions
{
    /// <summary>A label for logs (never the key); default: its position.</summary>
    public string? Name { get; set; }

    /// <summary>The key, at least 16 characters; it must differ from every webhook credential.</summary>
    public string? Key { get; set; }

    /// <summary>When set, the key sees only calls whose snapshot names this organization.</summary>
    public string? OrganizationId { get; set; }
}

/// <summary>
/// Token-bucket limits per webhook source on each silo, charged once a request's body has arrived and its credentials
/// were checked. A verified delivery over the limit gets 503 with <c>Retry-After</c> (the provider retries it; see
/// <see cref="SourceSecurityOptions.OverloadStatusCode"/>); requests that fail authentication have a bucket of their
/// own and get 401 within it, 429 beyond it.
/// </summary>
public sealed class WebhookRateLimitOptions
{
    /// <summary>Sustained deliveries per second per source (default 200).</summary>
    public int PermitsPerSecond { get; set; } = 200;

    /// <summary>Deliveries a source may send at once above the sustained rate (default 400).</summary>
    public int Burst { get; set; } = 400;

    /// <summary>
    /// Requests per second per source that fail authentication (default 20), limited apart from the rest so a flood of
    /// forged or unsigned requests cannot use up the real provider's budget.
    /// </summary>
    public int UnverifiedPermitsPerSecond { get; set; } = 20;

    /// <summary>Requests failing authentication a source may see at once above their sustained rate (default 40).</summary>
    public int UnverifiedBurst { get; set; } = 40;
}

/// <summary>Limits on single requests.</summary>
public sealed class RequestLimitOptions
{
    /// <summary>
    /// Deliveries for one call or workflow execution allowed in flight at once on a silo (default 8); more get 503
    /// with <c>Retry-After</c> (a 5xx, so the provider retries) instead of queueing behind one hot grain.
    /// </summary>
    public int MaxConcurrentPerEntity { get; set; } = 8;

    /// <summary>Largest total size of a request's headers in bytes (default 32 KiB); more is refused by Kestrel with 431.</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Most headers in one request (default 64); more is refused by Kestrel with 431.</summary>
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Longest a request may take end to end (default 10 s); then 503 with <c>Retry-After</c>.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a client may take to send its headers (default 10 s).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
