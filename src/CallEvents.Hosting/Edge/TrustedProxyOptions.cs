using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting;

/// <summary>
/// The reverse proxies or load balancers whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed
/// (configuration section <c>ForwardedHeaders</c>). A request from any other peer keeps its own address whatever
/// headers it sends; with nothing configured no peer is believed. Behind a trusted proxy, rate limits, logs and
/// tenant checks see the client the proxy saw.
/// </summary>
public sealed class TrustedProxyOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies (e.g. <c>10.0.0.5</c>, <c>::1</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation (e.g. <c>10.0.0.0/24</c>, <c>fd00::/64</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>
    /// How many proxies, counted from this host, may each name the next hop in <c>X-Forwarded-For</c> (default 1: one
    /// proxy in front). Entries further left were written by someone not trusted and are ignored.
    /// </summary>
    public int ForwardLimit { get; set; } = 1;

    /// <summary>Whether any proxy is trusted.</summary>
    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    /// <summary>The configured proxies, parsed (after validation).</summary>
    internal IEnumerable<IPAddress> ProxyAddresses() => KnownProxies.Select(p => IPAddress.Parse(p.Trim()));

    /// <summary>The configured networks, parsed (after validation).</summary>
    internal IEnumerable<IPNetwork> ProxyNetworks() => KnownNetworks.Select(n => IPNetwork.Parse(n.Trim()));
}

/// <summary>Checks <see cref="TrustedProxyOptions"/> at startup, naming the entry at fault.</summary>
internal sealed class TrustedProxyOptionsValidator : IValidateOptions<TrustedProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustedProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string s = TrustedProxyOptions.Section;
        for (var i = 0; i < options.KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(options.KnownProxies[i]?.Trim(), out _))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{s}:KnownProxies:{i} ('{options.KnownProxies[i]}') is not an IP address."));
            }
        }

        for (var i = 0; i < options.KnownNetworks.Count; i++)
        {
            var text = options.KnownNetworks[i]?.Trim();
            if (!IPNetwork.TryParse(text, out var network) || !text!.Contains('/', StringComparison.Ordinal))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{s}:KnownNetworks:{i} ('{text}') must be a network in CIDR notation, e.g. 10.0.0.0/24."));
            }
            else if (!IPAddress.Parse(text![..text.IndexOf('/', StringComparison.Ordinal)]).Equals(network.BaseAddress))
            {
                // Parsing would quietly widen 10.0.0.1/8 to 10.0.0.0/8; more likely a single proxy was meant.
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{s}:KnownNetworks:{i} ('{text}') has address bits set after the prefix: write {network} for the network, or use KnownProxies for one address."));
            }
            else if (network.PrefixLength == 0)
            {
                // Every address would be a trusted proxy: anyone could name any client.
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{s}:KnownNetworks:{i} ('{text}') would trust every peer; name the proxies' own network."));
            }
        }

        if (options.ForwardLimit is < 1 or > 10)
        {
            failures.Add($"{s}:ForwardLimit must be between 1 and 10.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
