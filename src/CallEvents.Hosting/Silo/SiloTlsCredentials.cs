using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CallEvents.Hosting;

/// <summary>
/// The certificates of silo TLS (<c>Orleans:Tls</c>): this silo's own, and what a peer's must match. Loaded on first
/// use (startup validation loads them once before, to report a problem naming the key).
/// </summary>
internal sealed class SiloTlsCredentials
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private readonly Lazy<Loaded> _loaded;

    public SiloTlsCredentials(Func<SiloTlsOptions> options) =>
        _loaded = new Lazy<Loaded>(() => Load(options()), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>This silo's certificate, with its private key.</summary>
    public X509Certificate2 Certificate => _loaded.Value.Certificate;

    /// <summary>Whether a peer's certificate is one this cluster accepts (its chain to the CA, or its thumbprint).</summary>
    public bool IsTrustedPeer(X509Certificate2 certificate, X509Chain? presented) => _loaded.Value.IsTrustedPeer(certificate, presented);

    /// <summary>Loads and checks everything <paramref name="options"/> names.</summary>
    /// <exception cref="SiloTlsConfigurationException">Something is missing or wrong; the message names the key.</exception>
    public static Loaded Load(SiloTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var certificate = LoadOwn(options);
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).Select(o => o.Value).ToList();
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any()
            && !(usages.Contains(ServerAuthentication) && usages.Contains(ClientAuthentication)))
        {
            throw new SiloTlsConfigurationException($"{OwnKey(options)}: the certificate ({certificate.Subject}) must allow both server and client authentication (extended key usage): a silo accepts and opens connections with it.");
        }

        var authorities = new X509Certificate2Collection();
        if (!string.IsNullOrWhiteSpace(options.CaCertificatePath))
        {
            try
            {
                authorities.ImportFromPemFile(options.CaCertificatePath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SiloTlsConfigurationException($"Orleans:Tls:CaCertificatePath: '{options.CaCertificatePath}' cannot be read ({ex.Message}).");
            }
            catch (CryptographicException ex)
            {
                throw new SiloTlsConfigurationException($"Orleans:Tls:CaCertificatePath: '{options.CaCertificatePath}' holds a certificate that cannot be read ({ex.Message}).");
            }

            if (authorities.Count == 0)
            {
                throw new SiloTlsConfigurationException($"Orleans:Tls:CaCertificatePath: '{options.CaCertificatePath}' holds no PEM CERTIFICATE block.");
            }
        }

        var thumbprints = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.AllowedThumbprints.Count; i++)
        {
            var thumbprint = Normalize(options.AllowedThumbprints[i]);
            if (thumbprint.Length != 40 || !thumbprint.All(char.IsAsciiHexDigit))
            {
                throw new SiloTlsConfigurationException($"Orleans:Tls:AllowedThumbprints:{i} must be a certificate's SHA-1 thumbprint (40 hexadecimal digits).");
            }

            thumbprints.Add(thumbprint);
        }

        if (authorities.Count == 0 && thumbprints.Count == 0)
        {
            throw new SiloTlsConfigurationException("Orleans:Tls:CaCertificatePath or Orleans:Tls:AllowedThumbprints must say which peers to accept: silo TLS never accepts any certificate.");
        }

        var loaded = new Loaded(certificate, authorities, thumbprints);
        if (!loaded.IsTrustedPeer(certificate, presented: null))
        {
            throw new SiloTlsConfigurationException($"{OwnKey(options)}: this silo's own certificate ({certificate.Subject}, {certificate.Thumbprint}) is not accepted by Orleans:Tls:CaCertificatePath / AllowedThumbprints, so the other silos, configured alike, would refuse it.");
        }

        return loaded;
    }

    private static string OwnKey(SiloTlsOptions options) =>
        string.IsNullOrWhiteSpace(options.CertificatePath) ? "Orleans:Tls:CertificateThumbprint" : "Orleans:Tls:CertificatePath";

    private static string Normalize(string thumbprint) => thumbprint.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).Trim();

    private static X509Certificate2 LoadOwn(SiloTlsOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.CertificatePath) && !string.IsNullOrWhiteSpace(options.CertificateThumbprint))
        {
            throw new SiloTlsConfigurationException("Orleans:Tls:CertificatePath and Orleans:Tls:CertificateThumbprint are both set; name the certificate one way.");
        }

        if (!string.IsNullOrWhiteSpace(options.CertificateThumbprint))
        {
            var thumbprint = Normalize(options.CertificateThumbprint);
            using var store = new X509Store(StoreName.My, options.StoreLocation);
            try
            {
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
            }
            catch (CryptographicException ex)
            {
                throw new SiloTlsConfigurationException($"Orleans:Tls:CertificateThumbprint: the {options.StoreLocation}\\My certificate store cannot be opened ({ex.Message}).");
            }

            var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false);
            var withKey = found.FirstOrDefault(c => c.HasPrivateKey)
                ?? throw new SiloTlsConfigurationException($"Orleans:Tls:CertificateThumbprint: no certificate with its private key and thumbprint {thumbprint} in the {options.StoreLocation}\\My store.");
            return withKey;
        }

        var path = options.CertificatePath!;
        if (!File.Exists(path))
        {
            throw new SiloTlsConfigurationException($"Orleans:Tls:CertificatePath: there is no file '{path}'.");
        }

        if (!string.IsNullOrWhiteSpace(options.KeyPath) && !File.Exists(options.KeyPath))
        {
            throw new SiloTlsConfigurationException($"Orleans:Tls:KeyPath: there is no file '{options.KeyPath}'.");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SiloTlsConfigurationException($"Orleans:Tls:CertificatePath: '{path}' cannot be read ({ex.Message}).");
        }

        var isPem = bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;
        try
        {
            if (!isPem)
            {
                if (!string.IsNullOrWhiteSpace(options.KeyPath))
                {
                    throw new SiloTlsConfigurationException("Orleans:Tls:KeyPath is set, but Orleans:Tls:CertificatePath is not a PEM file; a PKCS#12 file carries its own key: unset Orleans:Tls:KeyPath.");
                }

                var all = X509CertificateLoader.LoadPkcs12Collection(bytes, options.CertificatePassword);
                return all.FirstOrDefault(c => c.HasPrivateKey)
                    ?? throw new SiloTlsConfigurationException($"Orleans:Tls:CertificatePath: '{path}' holds no certificate with a private key.");
            }

            var keyPath = string.IsNullOrWhiteSpace(options.KeyPath) ? null : options.KeyPath;
            return string.IsNullOrEmpty(options.CertificatePassword)
                ? X509Certificate2.CreateFromPemFile(path, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, options.CertificatePassword, keyPath);
        }
        catch (CryptographicException ex)
        {
            // The message of a wrong password or a damaged file; passwords are never part of it.
            throw new SiloTlsConfigurationException(isPem
                ? $"Orleans:Tls:CertificatePath / KeyPath: the certificate and key in '{path}'{(options.KeyPath is { Length: > 0 } k ? $" and '{k}'" : "")} cannot be loaded (a missing or mismatched key, or an encrypted key without the right Orleans:Tls:CertificatePassword: {ex.Message})."
                : $"Orleans:Tls:CertificatePath: '{path}' cannot be opened as a PKCS#12 file (wrong or missing Orleans:Tls:CertificatePassword, or not a PKCS#12 file: {ex.Message}).");
        }
        catch (ArgumentException ex)
        {
            throw new SiloTlsConfigurationException($"Orleans:Tls:CertificatePath / KeyPath: '{path}' holds no usable PEM certificate and private key ({ex.Message}).");
        }
    }

    /// <summary>The loaded certificates.</summary>
    internal sealed class Loaded(X509Certificate2 certificate, X509Certificate2Collection authorities, HashSet<string> thumbprints)
    {
        public X509Certificate2 Certificate { get; } = certificate;

        /// <summary>
        /// The peer check: listed thumbprint (when a list is configured) and a chain to a configured CA (when one is
        /// configured), valid now. Host names are not checked: silos reach each other by IP address.
        /// </summary>
        public bool IsTrustedPeer(X509Certificate2 peer, X509Chain? presented)
        {
            if (thumbprints.Count > 0 && !thumbprints.Contains(peer.Thumbprint))
            {
                return false;
            }

            var now = DateTime.Now;
            if (now < peer.NotBefore || now > peer.NotAfter)
            {
                return false;
            }

            if (authorities.Count == 0)
            {
                return true;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
            if (presented is not null)
            {
                foreach (var element in presented.ChainElements)
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }

            return chain.Build(peer);
        }
    }
}

/// <summary>A silo TLS configuration problem, worded for the operator and naming the key at fault.</summary>
internal sealed class SiloTlsConfigurationException(string message) : Exception(message);

/// <summary>Applies <see cref="SiloTlsCredentials"/> to Orleans' TLS connection middleware.</summary>
internal static class SiloTls
{
    public static ISiloBuilder UseCallEventTls(this ISiloBuilder silo, SiloTlsCredentials credentials) =>
        silo.UseTls(tls =>
        {
            // Certificates are picked per connection (loaded on first use, after startup validation checked them).
            tls.LocalServerCertificateSelector = (_, _) => credentials.Certificate;
            tls.LocalClientCertificateSelector = (_, _, _, _, _) => credentials.Certificate;
            // Inbound (silo and gateway ports): a certificate is required from every peer, silo or client.
            tls.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
            // Outbound: the certificate comes from the selector above, when the other silo asks for it (it always does).
            tls.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.AllowCertificate;
            tls.RemoteCertificateValidation = (certificate, chain, _) => credentials.IsTrustedPeer(certificate, chain);
        });
}
