using System.Globalization;
using Microsoft.Extensions.Options;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Checks <see cref="SecurityOptions"/> at startup and names the key at fault; messages never contain a secret.
/// Also refuses a production host with no credentials at all unless <c>Security:AllowAnonymous</c> is true.
/// </summary>
internal sealed class SecurityOptionsValidator(SecurityHostMode mode) : IValidateOptions<SecurityOptions>
{
    private const int MinSecretLength = 16;
    private static readonly string[] ReservedHeaders = ["Host", "Content-Type", "Content-Length", "Transfer-Encoding", "webhook-id", "webhook-timestamp", "webhook-signature"];

    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var s = SecurityOptions.Section;

        Range(failures, $"{s}:SignatureTolerance", options.SignatureTolerance, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var webhookSecrets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (source, sourceOptions) in options.Sources)
        {
            var prefix = $"{s}:Sources:{source}";
            if (!EventSources.IsKnown(source.ToLowerInvariant()))
            {
                failures.Add($"{prefix}: unknown source; known sources: {string.Join(", ", EventSources.All)}.");
                continue;
            }

            if (sourceOptions.OverloadStatusCode is not (503 or 429))
            {
                failures.Add($"{prefix}:OverloadStatusCode must be 503 or 429.");
            }

            ValidateHeaderCredentials(failures, prefix, sourceOptions, webhookSecrets);
            ValidateSigningSecrets(failures, prefix, sourceOptions, webhookSecrets);
        }

        var operatorKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.OperatorKeys.Count; i++)
        {
            var key = options.OperatorKeys[i];
            var at = $"{s}:OperatorKeys:{i}";
            if (string.IsNullOrEmpty(key.Key) || key.Key.Trim().Length < MinSecretLength)
            {
                failures.Add($"{at}:Key must be at least {MinSecretLength} characters.");
            }
            else if (!operatorKeys.Add(key.Key))
            {
                failures.Add($"{at}:Key repeats another operator key.");
            }
            else if (webhookSecrets.Contains(key.Key))
            {
                failures.Add($"{at}:Key equals a webhook credential; operator keys must differ from webhook credentials.");
            }

            Organization(failures, at, key.OrganizationId);
        }

        var rate = options.RateLimit;
        Range(failures, $"{s}:RateLimit:PermitsPerSecond", rate.PermitsPerSecond, 1, 1_000_000);
        Range(failures, $"{s}:RateLimit:Burst", rate.Burst, 1, 10_000_000);
        Range(failures, $"{s}:RateLimit:UnverifiedPermitsPerSecond", rate.UnverifiedPermitsPerSecond, 1, 1_000_000);
        Range(failures, $"{s}:RateLimit:UnverifiedBurst", rate.UnverifiedBurst, 1, 10_000_000);

        var limits = options.Limits;
        Range(failures, $"{s}:Limits:MaxConcurrentPerEntity", limits.MaxConcurrentPerEntity, 1, 10_000);
        Range(failures, $"{s}:Limits:MaxRequestHeadersTotalSize", limits.MaxRequestHeadersTotalSize, 4 * 1024, 1024 * 1024);
        Range(failures, $"{s}:Limits:MaxRequestHeaderCount", limits.MaxRequestHeaderCount, 16, 1000);
        // Below 5 s a delivery could time out while its grain (deadline under 5 s) is still answering.
        Range(failures, $"{s}:Limits:RequestTimeout", limits.RequestTimeout, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(10));
        Range(failures, $"{s}:Limits:RequestHeadersTimeout", limits.RequestHeadersTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));

        if (failures.Count == 0 && !SecurityPolicy.HasAnyCredential(options) && !options.AllowAnonymous && !mode.IsDevelopment)
        {
            failures.Add(
                $"No credentials are configured and this host is a production host ({mode.Description}), so it refuses to start open. "
                + $"Configure {s}:Sources:<source>:Credentials / {s}:Sources:<source>:SigningSecrets and {s}:OperatorKeys "
                + $"(or the {s}__… environment variables), or set {s}:AllowAnonymous=true to run without authentication deliberately.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateHeaderCredentials(List<string> failures, string prefix, SourceSecurityOptions source, HashSet<string> webhookSecrets)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < source.Credentials.Count; i++)
        {
            var credential = source.Credentials[i];
            var at = $"{prefix}:Credentials:{i}";
            if (!IsHeaderToken(credential.Header))
            {
                failures.Add($"{at}:Header must be a valid HTTP header name.");
            }
            else if (ReservedHeaders.Contains(credential.Header, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{at}:Header may not be {credential.Header}: that header has another meaning.");
            }

            var secret = credential.Secret;
            if (string.IsNullOrEmpty(secret) || WithoutBearer(secret).Trim().Length < MinSecretLength)
            {
                failures.Add($"{at}:Secret must be at least {MinSecretLength} characters (not counting a 'Bearer ' prefix).");
            }
            else if (secret != secret.Trim() || secret.Contains('\r', StringComparison.Ordinal) || secret.Contains('\n', StringComparison.Ordinal))
            {
                failures.Add($"{at}:Secret may not start or end with white space or contain line breaks (a header value cannot carry them).");
            }
            else if (!seen.Add($"{credential.Header.ToUpperInvariant()}\n{secret}"))
            {
                failures.Add($"{at} repeats another credential of this source.");
            }
            else
            {
                webhookSecrets.Add(secret);
                webhookSecrets.Add(WithoutBearer(secret));
            }

            Organization(failures, at, credential.OrganizationId);
        }
    }

    private static void ValidateSigningSecrets(List<string> failures, string prefix, SourceSecurityOptions source, HashSet<string> webhookSecrets)
    {
        for (var i = 0; i < source.SigningSecrets.Count; i++)
        {
            var signing = source.SigningSecrets[i];
            var at = $"{prefix}:SigningSecrets:{i}";
            if (StandardWebhookSignature.DecodeSecret(signing.Secret) is not { Length: >= 16 and <= 1024 })
            {
                failures.Add($"{at}:Secret must be 'whsec_' followed by base64 of a 16 to 1024 byte key.");
            }
            else
            {
                webhookSecrets.Add(signing.Secret!);
            }

            Organization(failures, at, signing.OrganizationId);
        }
    }

    internal static string WithoutBearer(string value) =>
        value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value["Bearer ".Length..] : value;

    private static bool IsHeaderToken(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static void Organization(List<string> failures, string at, string? organizationId)
    {
        if (organizationId is { Length: > 0 } && string.IsNullOrWhiteSpace(organizationId))
        {
            failures.Add($"{at}:OrganizationId may not be blank.");
        }
    }

    private static void Range(List<string> failures, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be between {min} and {max}."));
        }
    }

    private static void Range(List<string> failures, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be between {min} and {max}."));
        }
    }
}
