using System.Security.Cryptography;
using System.Text;

namespace CallEvents;

/// <summary>
/// The Standard Webhooks signature scheme, both ways: incoming deliveries are verified with it, outgoing callbacks
/// signed with it. A signature is <c>v1,&lt;base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}"&gt;</c>
/// under a shared secret written <c>whsec_&lt;base64 key&gt;</c>.
/// </summary>
public static class StandardWebhooks
{
    /// <summary>The header carrying the message id.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header carrying the send time (Unix seconds).</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header carrying the space-separated signatures.</summary>
    public const string SignatureHeader = "webhook-signature";

    /// <summary>The prefix of a signature of this version.</summary>
    public const string Version = "v1,";

    private const string SecretPrefix = "whsec_";

    /// <summary>The key bytes of a <c>whsec_</c> secret (the prefix is optional), or null when it is not base64.</summary>
    public static byte[]? DecodeSecret(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret))
        {
            return null;
        }

        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        var buffer = new byte[encoded.Length];
        return Convert.TryFromBase64String(encoded, buffer, out var written) ? buffer[..written] : null;
    }

    /// <summary>Writes the HMAC of <c>{id}.{timestamp}.{body}</c> under <paramref name="key"/> into <paramref name="destination"/> (32 bytes).</summary>
    public static void ComputeHash(byte[] key, string id, string timestamp, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes($"{id}.{timestamp}."));
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    /// <summary>The <c>webhook-signature</c> value for a message.</summary>
    public static string Sign(byte[] key, string id, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeHash(key, id, TimestampOf(timestamp), body, hash);
        return Version + Convert.ToBase64String(hash);
    }

    /// <summary>The <c>webhook-timestamp</c> value for a time.</summary>
    public static string TimestampOf(DateTimeOffset time) =>
        time.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
