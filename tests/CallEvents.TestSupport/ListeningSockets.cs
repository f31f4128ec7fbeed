using System.Globalization;
using System.Net;

namespace CallEvents.TestSupport;

/// <summary>
/// What the operating system says is listening (Linux: <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c>): the addresses
/// bound to a TCP port in the LISTEN state, whichever process holds them.
/// </summary>
public static class ListeningSockets
{
    private const string Listen = "0A";

    /// <summary>The local addresses listening on <paramref name="port"/> (0.0.0.0 or :: for every address).</summary>
    public static IReadOnlyList<IPAddress> On(int port)
    {
        var found = new List<IPAddress>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != Listen)
                {
                    continue;
                }

                var local = fields[1].Split(':');
                if (int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    found.Add(Parse(local[0]));
                }
            }
        }

        return found;
    }

    /// <summary>The kernel prints each 32-bit word of the address in host (little-endian) byte order.</summary>
    private static IPAddress Parse(string hex)
    {
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            for (var i = 0; i < 4; i++)
            {
                bytes[(word * 4) + i] = byte.Parse(hex.AsSpan((word * 8) + ((3 - i) * 2), 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return new IPAddress(bytes);
    }
}
