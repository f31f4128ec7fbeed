using System.Threading.RateLimiting;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Per-source token buckets of the webhook endpoints on this silo (<c>Security:RateLimit</c>), charged only once a
/// request's body has arrived and its credentials were checked: held or slow connections spend nothing (Kestrel's
/// timeouts deal with them), and requests that fail authentication draw from a small bucket of their own, so a flood
/// of forged or unsigned requests can never use up the budget of the real provider.
/// </summary>
internal sealed class WebhookRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _verified;
    private readonly PartitionedRateLimiter<string> _unverified;

    public WebhookRateLimiter(SecurityPolicy policy)
    {
        var limits = policy.Options.RateLimit;
        _verified = PartitionedRateLimiter.Create<string, string>(source =>
            RateLimitPartition.GetTokenBucketLimiter(source, _ => Bucket(limits.PermitsPerSecond, limits.Burst)));
        _unverified = PartitionedRateLimiter.Create<string, string>(source =>
            RateLimitPartition.GetTokenBucketLimiter(source, _ => Bucket(limits.UnverifiedPermitsPerSecond, limits.UnverifiedBurst)));
    }

    /// <summary>Charges an authenticated delivery to its source; false (with when to retry) when over the limit.</summary>
    public bool TryAdmit(string source, out TimeSpan retryAfter) => TryAcquire(_verified, source, out retryAfter);

    /// <summary>Charges a request that failed authentication to its source's own small budget.</summary>
    public bool TryAdmitUnverified(string source, out TimeSpan retryAfter) => TryAcquire(_unverified, source, out retryAfter);

    public void Dispose()
    {
        _verified.Dispose();
        _unverified.Dispose();
    }

    private static bool TryAcquire(PartitionedRateLimiter<string> limiter, string source, out TimeSpan retryAfter)
    {
        using var lease = limiter.AttemptAcquire(source);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return lease.IsAcquired;
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = Math.Max(burst, 1),
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
