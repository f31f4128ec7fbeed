using System.Security.Cryptography;
using System.Text;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Constant-time comparison of presented secrets: both sides are hashed to 32 bytes first, so neither the
/// comparison time nor an early length mismatch tells a guesser anything about the secret's length or prefix.
/// </summary>
internal static class SecretDigest
{
    public const int Length = SHA256.HashSizeInBytes;

    public static byte[] Of(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));

    public static bool Matches(string presented, byte[] expectedDigest)
    {
        Span<byte> digest = stackalloc byte[Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), digest);
        return CryptographicOperations.FixedTimeEquals(digest, expectedDigest);
    }
}
