using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace CallEvents.Ingress.Security;

/// <summary>
/// One token bucket per webhook source, and a smaller one per source for requests whose header credential does
/// not match (when the source has header credentials): a flood of forged requests then cannot use up the budget
/// of the real provider, whose deliveries SubVerse would not retry after a 429. Signature-only sources cannot be
/// told apart before the body is read, so all their requests share the source's bucket.
/// </summary>
internal sealed class WebhookRateLimitPolicy(SecurityPolicy policy, ILogger<WebhookRateLimitPolicy> logger) : IRateLimiterPolicy<string>
{
    /// <summary>The policy name the webhook group requires.</summary>
    public const string Name = "webhooks-per-source";

    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var source = SourceOf(httpContext.Request.Path);
        var limits = policy.Options.RateLimit;
        var sourcePolicy = source is null ? null : policy.Source(source);
        if (sourcePolicy is { Access: SurfaceAccess.Enforced, Headers.Count: > 0 } && sourcePolicy.MatchHeaders(httpContext.Request.Headers) is null)
        {
            return RateLimitPartition.GetTokenBucketLimiter($"{source}:unverified", _ => Bucket(limits.UnverifiedPermitsPerSecond, limits.UnverifiedPermitsPerSecond));
        }

        return RateLimitPartition.GetTokenBucketLimiter(source ?? "other", _ => Bucket(limits.PermitsPerSecond, limits.Burst));
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = Math.Max(burst, 1),
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = Period,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        SecurityMessages.RateLimited(logger, SourceOf(http.Request.Path) ?? "other", seconds);
        http.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
        await Answers.Problem(StatusCodes.Status429TooManyRequests, "Too many requests", "This source is over its rate limit; retry after the given delay.")
            .ExecuteAsync(http);
    }

    /// <summary>The source a <c>/webhooks/{source}</c> path names (routing matches it case-insensitively).</summary>
    private static string? SourceOf(PathString path)
    {
        var value = path.Value?.TrimEnd('/');
        var slash = value?.LastIndexOf('/') ?? -1;
        var source = slash < 0 ? null : value![(slash + 1)..].ToLowerInvariant();
        return EventSources.IsKnown(source) ? source : null;
    }
}
