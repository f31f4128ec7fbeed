using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting;

/// <summary>
/// Checks <see cref="SiloOptions"/> at startup: ids, ports, addresses (a host name must resolve) and silo TLS (the
/// certificates load). Messages name the key and never contain a password.
/// </summary>
internal sealed class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem of <paramref name="options"/>, one message per key.</summary>
    public static List<string> Check(SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add("Orleans:ClusterId may not be empty.");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add("Orleans:ServiceId may not be empty.");
        }

        if (options.SiloPort is < 1 or > 65535)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Orleans:SiloPort must be between 1 and 65535 (it is {options.SiloPort})."));
        }

        if (options.GatewayPort is < 0 or > 65535)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Orleans:GatewayPort must be between 1 and 65535, or 0 for no gateway (it is {options.GatewayPort})."));
        }
        else if (options.GatewayPort == options.SiloPort)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Orleans:GatewayPort must differ from Orleans:SiloPort (both are {options.SiloPort})."));
        }

        if (options.AdvertisedAddress is not null && !SiloAddresses.TryResolveAdvertised(options.AdvertisedAddress, out _, out var advertisedError))
        {
            failures.Add($"Orleans:AdvertisedAddress {advertisedError}");
        }

        if (!SiloAddresses.TryParseListen(options.GatewayListenAddress, out _))
        {
            failures.Add($"Orleans:GatewayListenAddress must be an IP address (127.0.0.1, a host address, 0.0.0.0 or :: for every address); '{options.GatewayListenAddress}' is not.");
        }

        var tls = options.Tls ?? new SiloTlsOptions();
        if (tls.IsConfigured)
        {
            try
            {
                SiloTlsCredentials.Load(tls);
            }
            catch (SiloTlsConfigurationException ex)
            {
                failures.Add(ex.Message);
            }
        }
        else if (!string.IsNullOrWhiteSpace(tls.KeyPath) || !string.IsNullOrEmpty(tls.CertificatePassword)
            || !string.IsNullOrWhiteSpace(tls.CaCertificatePath) || tls.AllowedThumbprints.Count > 0)
        {
            failures.Add("Orleans:Tls settings are given but no certificate: set Orleans:Tls:CertificatePath (or Orleans:Tls:CertificateThumbprint) to turn silo TLS on.");
        }

        return failures;
    }
}

/// <summary>Parsing and resolving the silo's addresses.</summary>
internal static class SiloAddresses
{
    /// <summary>
    /// An advertised address: an IP literal, or a host name resolved now (IPv4 preferred). Not an "any" address: the
    /// others need one they can connect to.
    /// </summary>
    public static bool TryResolveAdvertised(string value, out IPAddress address, out string error)
    {
        address = IPAddress.None;
        var text = value.Trim();
        if (text.Length == 0)
        {
            error = "may not be empty (leave it unset for the default).";
            return false;
        }

        if (IPAddress.TryParse(text, out var literal))
        {
            if (literal.Equals(IPAddress.Any) || literal.Equals(IPAddress.IPv6Any) || literal.Equals(IPAddress.None) || literal.Equals(IPAddress.IPv6None))
            {
                error = $"must be an address the other silos can connect to, not '{text}' (to listen on every address, set Orleans:ListenOnAnyHostAddress=true).";
                return false;
            }

            address = literal;
            error = string.Empty;
            return true;
        }

        if (Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            error = $"'{text}' is neither an IP address nor a host name.";
            return false;
        }

        IPAddress[] resolved;
        try
        {
            resolved = Dns.GetHostAddresses(text);
        }
        catch (SocketException ex)
        {
            error = $"'{text}' does not resolve ({ex.Message}).";
            return false;
        }

        var pick = resolved.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? resolved.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);
        if (pick is null)
        {
            error = $"'{text}' resolves to no IPv4 or IPv6 address.";
            return false;
        }

        address = pick;
        error = string.Empty;
        return true;
    }

    /// <summary>A listening address: an IP literal (any-addresses allowed).</summary>
    public static bool TryParseListen(string? value, out IPAddress address)
    {
        address = IPAddress.Loopback;
        return !string.IsNullOrWhiteSpace(value) && IPAddress.TryParse(value.Trim(), out address!);
    }
}
