using System.Net;
using System.Net.Sockets;

namespace CallEvents.FollowUps.Callbacks;

/// <summary>
/// Which addresses a callback may not reach unless a rule allows it: loopback, link-local (cloud metadata services
/// live there), private and other non-public ranges, in IPv4 and IPv6, IPv4 embedded in IPv6 included. A callback
/// carries call data (customer numbers, analyses); a rule's URL must not be a way into this host or its network.
/// </summary>
public static class CallbackTargets
{
    private static readonly (IPNetwork Network, string Kind)[] Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified ('this network')"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (carrier-grade NAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved (benchmarking)"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    // IPv6 prefixes whose last 32 bits are an IPv4 address that the connection reaches in the end: IPv4-compatible
    // (deprecated, ::a.b.c.d) and the NAT64 well-known prefix (64:ff9b::a.b.c.d). IPv4-mapped is handled by MapToIPv4.
    private static readonly IPNetwork[] EmbeddingIPv4 = [IPNetwork.Parse("::/96"), IPNetwork.Parse("64:ff9b::/96")];

    /// <summary>
    /// What kind of non-public address <paramref name="address"/> is (<c>loopback</c>, <c>link-local</c>,
    /// <c>private</c>, …), or null for a public one a callback may reach.
    /// </summary>
    public static string? NonPublicKind(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return NonPublicKind(address.MapToIPv4());
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            // A zone index only means something on this host's own links.
            address = new IPAddress(address.GetAddressBytes());
        }

        foreach (var (network, kind) in Ranges)
        {
            if (network.Contains(address))
            {
                return kind;
            }
        }

        foreach (var prefix in EmbeddingIPv4)
        {
            if (prefix.Contains(address))
            {
                var embedded = new IPAddress(address.GetAddressBytes().AsSpan(12, 4));
                return NonPublicKind(embedded) is { } kind ? $"{kind}, embedded in IPv6" : null;
            }
        }

        return address.Equals(IPAddress.Broadcast) ? "broadcast" : null;
    }

    /// <summary>
    /// Whether a host name is a loopback name whatever DNS says: <c>localhost</c> and names under <c>.localhost</c>
    /// (RFC 6761 reserves them for the local host).
    /// </summary>
    public static bool IsLocalhostName(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = host.TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// What can be known about a URL's host without asking DNS: the kind of non-public address it names (an IP
    /// literal, in any notation <see cref="Uri"/> accepts, or a localhost name), or null when it is public or a DNS
    /// name (checked at each connection instead).
    /// </summary>
    public static string? NonPublicKind(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && IPAddress.TryParse(url.Host.Trim('[', ']'), out var literal))
        {
            return NonPublicKind(literal);
        }

        return url.HostNameType == UriHostNameType.Dns && IsLocalhostName(url.IdnHost) ? "loopback (localhost)" : null;
    }
}
