using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>Signs as a Standard Webhooks sender does, written from the specification (not from the host's code).</summary>
public static class StandardWebhookSigner
{
    public static string Signature(byte[] key, string id, long timestamp, byte[] body)
    {
        var content = new List<byte>(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{id}.{timestamp}.")));
        content.AddRange(body);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content.ToArray()));
    }

    public static (string, string)[] Headers(byte[] key, string id, DateTimeOffset at, byte[] body)
    {
        var timestamp = at.ToUnixTimeSeconds();
        return
        [
            ("webhook-id", id),
            ("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture)),
            ("webhook-signature", Signature(key, id, timestamp, body)),
        ];
    }
}
