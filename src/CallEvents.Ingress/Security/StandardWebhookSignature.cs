using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Standard Webhooks verification: <c>webhook-signature</c> holds space-separated <c>v1,&lt;base64&gt;</c> entries,
/// each an HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c> under a shared secret
/// (<c>whsec_&lt;base64 key&gt;</c>); <c>webhook-timestamp</c> (Unix seconds) must be within the tolerance.
/// </summary>
internal static class StandardWebhookSignature
{
    private const string Version = StandardWebhooks.Version;

    // Bounds the work one request can cause: every entry is compared against every secret.
    private const int MaxSignatures = 16;
    private const int MaxIdLength = 256;

    /// <summary>The key bytes of a <c>whsec_</c> secret (the prefix is optional), or null when it is not base64.</summary>
    public static byte[]? DecodeSecret(string? secret) => StandardWebhooks.DecodeSecret(secret);

    /// <summary>
    /// Verifies the request against <paramref name="keys"/> and returns the first key that signed it, or null with
    /// the reason (for logs only).
    /// </summary>
    public static SigningKey? Verify(IHeaderDictionary headers, ReadOnlySpan<byte> body, IReadOnlyList<SigningKey> keys, DateTimeOffset now, TimeSpan tolerance, out string? failure)
    {
        var id = Single(headers, StandardWebhooks.IdHeader);
        var timestamp = Single(headers, StandardWebhooks.TimestampHeader);
        var signatures = headers.TryGetValue(StandardWebhooks.SignatureHeader, out var values) ? string.Join(' ', values.OfType<string>()) : null;
        if (id is not { Length: > 0 and <= MaxIdLength } || timestamp is null || string.IsNullOrWhiteSpace(signatures))
        {
            failure = "missing-signature-headers";
            return null;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            failure = "timestamp-outside-tolerance";
            return null;
        }

        var presented = Presented(signatures);
        if (presented.Count == 0)
        {
            failure = "no-v1-signature";
            return null;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        SigningKey? match = null;
        foreach (var key in keys)
        {
            StandardWebhooks.ComputeHash(key.Key, id, timestamp, body, expected);
            foreach (var candidate in presented)
            {
                // Every comparison runs, so timing does not say which entry or key matched.
                if (CryptographicOperations.FixedTimeEquals(expected, candidate) && match is null)
                {
                    match = key;
                }
            }
        }

        failure = match is null ? "bad-signature" : null;
        return match;
    }

    private static List<byte[]> Presented(string signatures)
    {
        var presented = new List<byte[]>();
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (presented.Count == MaxSignatures)
            {
                break;
            }

            // Other versions (v1a: asymmetric) are not ours to check; skip them rather than fail.
            if (!entry.StartsWith(Version, StringComparison.Ordinal))
            {
                continue;
            }

            var buffer = new byte[HMACSHA256.HashSizeInBytes + 3];
            if (Convert.TryFromBase64String(entry[Version.Length..], buffer, out var written) && written == HMACSHA256.HashSizeInBytes)
            {
                presented.Add(buffer[..written]);
            }
        }

        return presented;
    }

    private static string? Single(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;
}
