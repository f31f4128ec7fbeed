using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Ingress.Security;

/// <summary>
/// The security steps of the webhook pipeline: who sent a delivery (header credentials and Standard Webhooks
/// signatures, checked on the exact body), whether its source is within its rate limit (charged only after that
/// check, to a small separate budget when it failed), and whether that caller may write the entity the delivery names
/// (tenant binding, enforced by the grain, and at most <c>Security:Limits:MaxConcurrentPerEntity</c> deliveries in
/// flight per entity). Refusals are logged at Debug, with a periodic warning that counts them.
/// </summary>
public sealed class WebhookGuard
{
    private static readonly TimeSpan DigestPeriod = TimeSpan.FromSeconds(30);
    private readonly SecurityPolicy _policy;
    private readonly EntityInFlightGate _gate;
    private readonly WebhookRateLimiter _rates;
    private readonly LogDigest _digest;
    private readonly IOptions<IngressOptions> _ingress;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookGuard> _logger;

    internal WebhookGuard(SecurityPolicy policy, EntityInFlightGate gate, WebhookRateLimiter rates, IOptions<IngressOptions> ingress, TimeProvider time, ILogger<WebhookGuard> logger)
    {
        _policy = policy;
        _gate = gate;
        _rates = rates;
        _digest = new LogDigest(time, DigestPeriod);
        _ingress = ingress;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Authenticates a delivery for <paramref name="source"/> from its headers and exact body bytes; null means
    /// refused (answer 401, with no detail that would help a guesser).
    /// </summary>
    public WebhookCaller? Authenticate(string source, HttpContext context, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(context);
        var policy = _policy.Source(source);
        if (policy is null || policy.Access == SurfaceAccess.Closed)
        {
            Refused(source, "no-credentials-configured-for-source", context);
            return null;
        }

        if (policy.Access == SurfaceAccess.Open)
        {
            return WebhookCaller.Anonymous;
        }

        var headers = context.Request.Headers;
        HeaderCredential? credential = null;
        if (policy.Headers.Count > 0)
        {
            credential = policy.MatchHeaders(headers);
            if (credential is null)
            {
                var reason = policy.Headers.Any(h => headers.ContainsKey(h.Header)) ? "wrong-credential" : "missing-credential";
                Refused(source, reason, context);
                return null;
            }
        }

        SigningKey? key = null;
        if (policy.SigningKeys.Count > 0)
        {
            key = StandardWebhookSignature.Verify(headers, body, policy.SigningKeys, _time.GetUtcNow(), _policy.Options.SignatureTolerance, out var failure);
            if (key is null)
            {
                Refused(source, failure!, context);
                return null;
            }
        }

        if (credential?.OrganizationId is { } a && key?.OrganizationId is { } b && !string.Equals(a, b, StringComparison.Ordinal))
        {
            Refused(source, "credential-and-signature-tenants-differ", context);
            return null;
        }

        return new WebhookCaller(credential?.Name ?? key!.Name, credential?.OrganizationId ?? key?.OrganizationId);
    }

    /// <summary>
    /// The answer to a request that failed authentication: 401 within its source's small budget for such requests,
    /// 429 beyond it (it is not a genuine delivery, so nothing a provider would retry is lost).
    /// </summary>
    public IResult RefuseUnauthenticated(string source, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_rates.TryAdmitUnverified(source, out var retryAfter))
        {
            return Answers.Unauthorized();
        }

        DeliveryTally.Of(context)?.Reason = "unverified-over-budget";

        return Answers.TooManyRequests(context, retryAfter);
    }

    /// <summary>
    /// Charges an authenticated delivery to its source's rate limit; null when within it, else the overload answer:
    /// 503 with <c>Retry-After</c> (a provider retries it), or 429 for a source configured to take it.
    /// </summary>
    public IResult? ChargeAuthenticated(string source, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_rates.TryAdmit(source, out var retryAfter))
        {
            return null;
        }

        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        DeliveryTally.Of(context)?.Reason = "rate-limited";

        SecurityMessages.RateLimited(_logger, source, seconds);
        Summarize("over-rate-limit", "of verified senders were over their source's rate limit", source);
        return _policy.Options.Sources.TryGetValue(source, out var configured) && configured.OverloadStatusCode == StatusCodes.Status429TooManyRequests
            ? Answers.TooManyRequests(context, retryAfter)
            : Answers.Unavailable(context, seconds, "This source is over its rate limit; retry after the given delay.");
    }

    /// <summary>
    /// Admits a parsed, authenticated delivery: a tenant-bound caller's event must name its organization (one that
    /// names none is stamped with it) and carries the tenant to the grain, which refuses it atomically when the entity
    /// belongs to another organization; then a slot of the entity's in-flight limit is taken until the admission is
    /// disposed.
    /// </summary>
    public WebhookAdmission Admit(WebhookCaller caller, IncomingEvent incoming, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(incoming);
        ArgumentNullException.ThrowIfNull(context);
        if (caller.OrganizationId is { } tenant)
        {
            if (incoming.OrganizationId is not null && !string.Equals(incoming.OrganizationId, tenant, StringComparison.Ordinal))
            {
                var claimed = Printable(incoming.OrganizationId);
                SecurityMessages.TenantMismatch(_logger, incoming.Source, caller.Credential, claimed, tenant);
                Summarize("tenant-mismatch", "named another organization than their credential's", incoming.Source);
                DeliveryTally.Of(context)?.Reason = "tenant-mismatch";
                return WebhookAdmission.Refused(incoming, Answers.Unauthorized());
            }

            // SubVerse sends no organization: the credential's binding is what makes its calls a tenant's.
            incoming = incoming with { OrganizationId = tenant, Tenant = tenant };
        }

        var key = $"{incoming.Entity}:{incoming.Source}/{incoming.EntityId}";
        var slot = _gate.TryEnter(key);
        if (slot is null)
        {
            SecurityMessages.EntityBusy(_logger, incoming.Source, incoming.EntityId, _policy.Options.Limits.MaxConcurrentPerEntity);
            Summarize("entity-busy", "found their entity at its in-flight limit (answered 503)", incoming.Source);
            DeliveryTally.Of(context)?.Reason = "entity-busy";
            return WebhookAdmission.Refused(incoming, Answers.Unavailable(context, _ingress.Value.RetryAfterSeconds, "Too many deliveries for this entity are in progress; retry later."));
        }

        return new WebhookAdmission(incoming, null, slot);
    }

    private void Refused(string source, string reason, HttpContext context)
    {
        DeliveryTally.Of(context)?.Reason = reason;
        SecurityMessages.WebhookRefused(_logger, source, reason, context.Connection.RemoteIpAddress);
        Summarize("unauthenticated", "failed authentication (answered 401/429)", $"{source}: {reason}");
    }

    private void Summarize(string kind, string what, string detail)
    {
        if (_digest.Count(kind) is > 0 and var count)
        {
            DigestMessages.Summary(_logger, count, what, DigestPeriod, detail);
        }
    }

    /// <summary>A sender-chosen value made safe for a log line: short, no control characters.</summary>
    private static string Printable(string value)
    {
        var shown = value.Length > 64 ? value[..64] + "…" : value;
        return string.Create(shown.Length, shown, (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                span[i] = char.IsControl(text[i]) ? '?' : text[i];
            }
        });
    }
}

/// <summary>Who a webhook delivery authenticated as.</summary>
/// <param name="Credential">The credential's label (never its secret); <c>anonymous</c> on an open source.</param>
/// <param name="OrganizationId">The organization the credential is bound to, or null for an unbound credential.</param>
public sealed record WebhookCaller(string Credential, string? OrganizationId)
{
    /// <summary>The caller on a source that runs open.</summary>
    public static WebhookCaller Anonymous { get; } = new("anonymous", null);
}

/// <summary>The outcome of <see cref="WebhookGuard.Admit"/>; dispose it when the delivery is answered.</summary>
public sealed class WebhookAdmission : IDisposable
{
    private readonly IDisposable? _slot;

    internal WebhookAdmission(IncomingEvent incoming, IResult? refusal, IDisposable? slot)
    {
        Event = incoming;
        Refusal = refusal;
        _slot = slot;
    }

    /// <summary>The event to ingest (with the caller's organization when the provider sent none).</summary>
    public IncomingEvent Event { get; }

    /// <summary>The answer when the delivery is refused; null when admitted.</summary>
    public IResult? Refusal { get; }

    internal static WebhookAdmission Refused(IncomingEvent incoming, IResult refusal) => new(incoming, refusal, null);

    /// <summary>Releases the entity's in-flight slot.</summary>
    public void Dispose() => _slot?.Dispose();
}
