using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CallEvents;

/// <summary>
/// A fixed-size (128-bit) deduplication key: the first half of a SHA-256 over the delivery's identity.
/// Grains remember every key they accepted, so the key is kept small and constant-size.
/// </summary>
[GenerateSerializer, Immutable, Alias("callevents.DedupKey")]
public readonly record struct DedupKey([property: Id(0)] ulong High, [property: Id(1)] ulong Low) : IComparable<DedupKey>
{
    /// <summary>Key for a delivery identified by a provider id (Verbex traceId, a delivery-id header).</summary>
    public static DedupKey FromIdentity(string source, string identity)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(identity);
        return FromBytes(Encoding.UTF8.GetBytes($"{source}\n{identity}"));
    }

    /// <summary>Key for a delivery identified by its exact bytes (SubVerse sends no id; a retry resends the same bytes).</summary>
    public static DedupKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return new DedupKey(BinaryPrimitives.ReadUInt64BigEndian(hash), BinaryPrimitives.ReadUInt64BigEndian(hash[8..]));
    }

    /// <summary>Parses the 32-hex-digit form produced by <see cref="ToString"/>.</summary>
    public static bool TryParse(string? text, out DedupKey key)
    {
        key = default;
        if (text is not { Length: 32 }
            || !ulong.TryParse(text.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !ulong.TryParse(text.AsSpan(16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        key = new DedupKey(high, low);
        return true;
    }

    /// <inheritdoc/>
    public int CompareTo(DedupKey other)
    {
        var byHigh = High.CompareTo(other.High);
        return byHigh != 0 ? byHigh : Low.CompareTo(other.Low);
    }

    /// <summary>Orders keys by value.</summary>
    public static bool operator <(DedupKey left, DedupKey right) => left.CompareTo(right) < 0;

    /// <summary>Orders keys by value.</summary>
    public static bool operator >(DedupKey left, DedupKey right) => left.CompareTo(right) > 0;

    /// <summary>Orders keys by value.</summary>
    public static bool operator <=(DedupKey left, DedupKey right) => left.CompareTo(right) <= 0;

    /// <summary>Orders keys by value.</summary>
    public static bool operator >=(DedupKey left, DedupKey right) => left.CompareTo(right) >= 0;

    /// <summary>32 lower-case hex digits.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{High:x16}{Low:x16}");
}
