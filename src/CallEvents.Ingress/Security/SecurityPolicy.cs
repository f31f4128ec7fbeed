using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CallEvents.Ingress.Security;

/// <summary>How a surface (a webhook source, or the operator API) treats requests.</summary>
internal enum SurfaceAccess
{
    /// <summary>Credentials are configured and required.</summary>
    Enforced,

    /// <summary>No credentials and running open (development host, or <c>Security:AllowAnonymous</c>).</summary>
    Open,

    /// <summary>No credentials of its own while others are configured: every request gets 401 (fail closed).</summary>
    Closed,
}

/// <summary>A header credential, kept as the digest of its value.</summary>
internal sealed record HeaderCredential(string Name, string Header, byte[] Digest, string? OrganizationId);

/// <summary>A Standard Webhooks signing key.</summary>
internal sealed record SigningKey(string Name, byte[] Key, string? OrganizationId);

/// <summary>An operator key, kept as its digest.</summary>
internal sealed record OperatorKey(string Name, byte[] Digest, string? OrganizationId);

/// <summary>One webhook source's compiled credentials.</summary>
internal sealed record SourcePolicy(string Source, SurfaceAccess Access, IReadOnlyList<HeaderCredential> Headers, IReadOnlyList<SigningKey> SigningKeys)
{
    /// <summary>The header credential the request presents, if any. Every credential is checked (no early exit).</summary>
    public HeaderCredential? MatchHeaders(IHeaderDictionary headers)
    {
        HeaderCredential? match = null;
        foreach (var credential in Headers)
        {
            if (headers.TryGetValue(credential.Header, out var values) && values.Count == 1 && values[0] is { } value
                && SecretDigest.Matches(value, credential.Digest) && match is null)
            {
                match = credential;
            }
        }

        return match;
    }
}

/// <summary>
/// The compiled security configuration. A surface with credentials enforces them. One without runs open when
/// <c>Security:AllowAnonymous</c> is true, or when nothing at all is configured on a development host;
/// otherwise it is closed, so configuring some credentials never leaves another surface silently open.
/// </summary>
internal sealed class SecurityPolicy
{
    private readonly Dictionary<string, SourcePolicy> _sources = new(StringComparer.Ordinal);

    public SecurityPolicy(IOptions<SecurityOptions> options, SecurityHostMode mode)
    {
        var o = options.Value;
        Mode = mode;
        Options = o;
        AnyCredential = HasAnyCredential(o);
        foreach (var source in EventSources.All)
        {
            var configured = o.Sources.TryGetValue(source, out var s) ? s : new SourceSecurityOptions();
            var headers = configured.Credentials
                .Select((c, i) => new HeaderCredential(c.Name ?? $"{source}:{c.Header}#{i}", c.Header, SecretDigest.Of(c.Secret!), Blank(c.OrganizationId)))
                .ToList();
            var keys = configured.SigningSecrets
                .Select((k, i) => new SigningKey(k.Name ?? $"{source}:signing#{i}", StandardWebhookSignature.DecodeSecret(k.Secret)!, Blank(k.OrganizationId)))
                .ToList();
            _sources[source] = new SourcePolicy(source, AccessOf(headers.Count + keys.Count), headers, keys);
        }

        OperatorKeys = [.. o.OperatorKeys.Select((k, i) => new OperatorKey(k.Name ?? $"operator#{i}", SecretDigest.Of(k.Key!), Blank(k.OrganizationId)))];
        OperatorAccess = AccessOf(OperatorKeys.Count);
    }

    public SecurityHostMode Mode { get; }

    public SecurityOptions Options { get; }

    /// <summary>Whether any credential (webhook or operator) is configured.</summary>
    public bool AnyCredential { get; }

    public IReadOnlyList<OperatorKey> OperatorKeys { get; }

    public SurfaceAccess OperatorAccess { get; }

    public IEnumerable<SourcePolicy> Sources => _sources.Values;

    public SourcePolicy? Source(string source) => _sources.GetValueOrDefault(source);

    /// <summary>The operator key a presented key matches, if any. Every key is checked (no early exit).</summary>
    public OperatorKey? MatchOperatorKey(string presented)
    {
        OperatorKey? match = null;
        foreach (var key in OperatorKeys)
        {
            if (SecretDigest.Matches(presented, key.Digest) && match is null)
            {
                match = key;
            }
        }

        return match;
    }

    public static bool HasAnyCredential(SecurityOptions options) =>
        options.OperatorKeys.Count > 0 || options.Sources.Values.Any(s => s.Credentials.Count > 0 || s.SigningSecrets.Count > 0);

    private SurfaceAccess AccessOf(int credentials) =>
        credentials > 0 ? SurfaceAccess.Enforced
        : Options.AllowAnonymous || (!AnyCredential && Mode.IsDevelopment) ? SurfaceAccess.Open
        : SurfaceAccess.Closed;

    private static string? Blank(string? organizationId) => string.IsNullOrEmpty(organizationId) ? null : organizationId;
}
