using System.Security.Cryptography.X509Certificates;

namespace CallEvents.Hosting;

/// <summary>Silo settings (configuration section <c>Orleans</c>): identity, ports, addresses, TLS.</summary>
/// <remarks>
/// Where a silo listens: the silo-to-silo port on <see cref="AdvertisedAddress"/> (every address with
/// <see cref="ListenOnAnyHostAddress"/>), the gateway on <see cref="GatewayListenAddress"/> (loopback unless configured
/// otherwise). The embedded (in-memory) mode always runs its silo on loopback. Checked at startup: an invalid value
/// stops the host with a message naming the key.
/// </remarks>
public sealed class SiloOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orleans";

    /// <summary>The advertised address when none is configured (outside Kubernetes).</summary>
    public const string DefaultAdvertisedAddress = "127.0.0.1";

    /// <summary>Cluster id (default <c>callevents</c>); silos with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "callevents";

    /// <summary>Service id (default <c>callevents</c>); grain state and reminders are keyed by it.</summary>
    public string ServiceId { get; set; } = "callevents";

    /// <summary>Silo-to-silo port (default 11111; 1 to 65535).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port (default 30000; 1 to 65535, or 0 for no gateway).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Address this silo advertises to the others in PostgreSQL mode: an IP address, or a host name resolved once at
    /// startup (IPv4 preferred). Unset: <c>127.0.0.1</c>, or the pod's IP under Kubernetes hosting. In a container set it
    /// from the environment, e.g. <c>Orleans__AdvertisedAddress=$(POD_IP)</c>.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// PostgreSQL mode: the silo-to-silo port listens on every address of the host (<c>0.0.0.0</c>, or <c>[::]</c> for an
    /// IPv6 advertised address) instead of the advertised address only; for containers, where the advertised address
    /// may not be the interface's own (default false).
    /// </summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>
    /// Address the gateway (the grain API for Orleans clients) listens on: <c>127.0.0.1</c> by default, so only
    /// processes on this machine reach it; an IP address of the host, or <c>0.0.0.0</c> / <c>::</c> for every address.
    /// The gateway is unauthenticated unless <see cref="Tls"/> is configured.
    /// </summary>
    public string GatewayListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Kubernetes hosting (<c>UseKubernetesHosting</c>: the pod's IP advertised, silo name from the pod, the cluster's
    /// pods watched so a deleted pod's silo is declared dead). Unset: on when <c>KUBERNETES_SERVICE_HOST</c> is set and
    /// the host runs in PostgreSQL mode.
    /// </summary>
    public bool? Kubernetes { get; set; }

    /// <summary>TLS with mutual authentication on the silo-to-silo and gateway ports (<c>Orleans:Tls</c>).</summary>
    public SiloTlsOptions Tls { get; set; } = new();
}

/// <summary>
/// TLS for the silo-to-silo and gateway ports (<c>Orleans:Tls</c>). Configured (a certificate named), every connection
/// on both ports is TLS 1.2+ and both ends present a certificate that the other checks against
/// <see cref="CaCertificatePath"/> and/or <see cref="AllowedThumbprints"/>; a peer without one is refused.
/// </summary>
public sealed class SiloTlsOptions
{
    /// <summary>
    /// This silo's certificate: a PEM file (certificate first, with <see cref="KeyPath"/> or the key in the same file) or
    /// a PKCS#12 file (<c>.pfx</c>). It serves both directions, so its extended key usage (if any) must include server
    /// and client authentication.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key, when it is not in <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of an encrypted PEM key or a PKCS#12 file; give it through the environment.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Instead of a file: the thumbprint of a certificate (with its private key) in the <c>My</c> store.</summary>
    public string? CertificateThumbprint { get; set; }

    /// <summary>The store <see cref="CertificateThumbprint"/> is looked up in (default CurrentUser).</summary>
    public StoreLocation StoreLocation { get; set; } = StoreLocation.CurrentUser;

    /// <summary>PEM file of the CA certificate(s) a peer's certificate must chain to (the cluster's own CA).</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Thumbprints (SHA-1, hex) of the only peer certificates accepted; with a CA as well, both must agree.</summary>
    public IList<string> AllowedThumbprints { get; } = [];

    /// <summary>Whether a certificate is configured, which turns TLS on.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(CertificateThumbprint);
}
