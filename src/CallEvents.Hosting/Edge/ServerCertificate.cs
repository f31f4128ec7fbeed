using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CallEvents.Hosting;

/// <summary>A configuration problem with the certificate, worded for the operator and naming the key at fault.</summary>
internal sealed class TlsConfigurationException(string message) : Exception(message);

/// <summary>A loaded server certificate: the leaf with its key, the intermediates, and what TLS hands out.</summary>
internal sealed class ServerCertificate
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string RsaAlgorithm = "1.2.840.113549.1.1.1";
    private const string EcAlgorithm = "1.2.840.10045.2.1";
    private static readonly string[] KeyLabels = ["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

    private ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection chain, string fingerprint)
    {
        Leaf = leaf;
        Chain = chain;
        Fingerprint = fingerprint;
        // Built once per certificate, offline: intermediates come from the file, not from the network at handshake time.
        Context = SslStreamCertificateContext.Create(leaf, chain, offline: true);
    }

    /// <summary>The server certificate, with its private key.</summary>
    public X509Certificate2 Leaf { get; }

    /// <summary>The intermediates sent with it.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>What a TLS handshake serves.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>A hash of the files' bytes this was loaded from, to tell a change.</summary>
    public string Fingerprint { get; }

    /// <summary>Loads the certificate from files already read (so a reload loads exactly the bytes it fingerprinted).</summary>
    /// <exception cref="TlsConfigurationException">The key is unreadable, does not match or needs another password, or
    /// the certificate is not for servers; the message names the key at fault.</exception>
    public static ServerCertificate Load(ServerCertificateFiles files, string? password) =>
        files.IsPem ? LoadPem(files, password) : LoadPkcs12(files, password);

    private static ServerCertificate LoadPem(ServerCertificateFiles files, string? password)
    {
        var certificateText = Encoding.UTF8.GetString(files.Certificate);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(certificateText);
        }
        catch (CryptographicException ex)
        {
            throw new TlsConfigurationException($"Tls:CertificatePath: '{files.CertificatePath}' holds a certificate that cannot be read ({ex.Message}).");
        }

        if (certificates.Count == 0)
        {
            throw new TlsConfigurationException($"Tls:CertificatePath: '{files.CertificatePath}' holds no PEM CERTIFICATE block.");
        }

        var keyKey = files.KeyPath is null ? "Tls:CertificatePath" : "Tls:KeyPath";
        var keyFile = files.KeyPath ?? files.CertificatePath;
        var keyText = files.Key is null ? certificateText : Encoding.UTF8.GetString(files.Key);
        var label = FindKeyLabel(keyText) ?? throw new TlsConfigurationException(files.KeyPath is null
            ? $"Tls:CertificatePath: '{keyFile}' holds no private key; set Tls:KeyPath to the key's file."
            : $"Tls:KeyPath: '{keyFile}' holds no PEM private key.");
        var encrypted = label == "ENCRYPTED PRIVATE KEY";
        if (encrypted && string.IsNullOrEmpty(password))
        {
            throw new TlsConfigurationException($"{keyKey}: the private key in '{keyFile}' is encrypted; set Tls:CertificatePassword (e.g. the Tls__CertificatePassword environment variable).");
        }

        var leaf = certificates[0];
        var algorithm = leaf.GetKeyAlgorithm();
        using AsymmetricAlgorithm key = algorithm switch
        {
            RsaAlgorithm => RSA.Create(),
            EcAlgorithm => ECDsa.Create(),
            _ => throw new TlsConfigurationException($"Tls:CertificatePath: the certificate's key algorithm ({algorithm}) is not supported; use RSA or ECDSA."),
        };
        try
        {
            if (encrypted)
            {
                key.ImportFromEncryptedPem(keyText, password);
            }
            else
            {
                key.ImportFromPem(keyText);
            }
        }
        catch (CryptographicException ex) when (encrypted)
        {
            throw new TlsConfigurationException($"Tls:CertificatePassword does not decrypt the private key in {keyKey} '{keyFile}' (wrong password, or a damaged key: {ex.Message}).");
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new TlsConfigurationException($"{keyKey}: the private key in '{keyFile}' cannot be read as the certificate's {(key is RSA ? "RSA" : "ECDSA")} key ({ex.Message}).");
        }

        X509Certificate2 withKey;
        try
        {
            withKey = key is RSA rsa ? leaf.CopyWithPrivateKey(rsa) : leaf.CopyWithPrivateKey((ECDsa)key);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new TlsConfigurationException($"{keyKey}: the private key in '{keyFile}' does not belong to the certificate in Tls:CertificatePath '{files.CertificatePath}'.");
        }

        if (OperatingSystem.IsWindows())
        {
            // Windows' TLS stack cannot use the ephemeral key a PEM import gives; a PKCS#12 round trip makes it usable.
            var exported = withKey.Export(X509ContentType.Pkcs12);
            withKey.Dispose();
            withKey = X509CertificateLoader.LoadPkcs12(exported, null);
        }

        var chain = new X509Certificate2Collection();
        for (var i = 1; i < certificates.Count; i++)
        {
            chain.Add(certificates[i]);
        }

        return Checked(withKey, chain, files);
    }

    private static ServerCertificate LoadPkcs12(ServerCertificateFiles files, string? password)
    {
        if (files.KeyPath is not null)
        {
            throw new TlsConfigurationException($"Tls:KeyPath is set, but '{files.CertificatePath}' (Tls:CertificatePath) is not a PEM file; a PKCS#12 file carries its own key: unset Tls:KeyPath.");
        }

        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12Collection(files.Certificate, password);
        }
        catch (CryptographicException ex)
        {
            throw new TlsConfigurationException(string.IsNullOrEmpty(password)
                ? $"Tls:CertificatePath: '{files.CertificatePath}' is neither PEM nor a PKCS#12 file readable without a password; if it is a password-protected .pfx, set Tls:CertificatePassword ({ex.Message})."
                : $"Tls:CertificatePassword does not open the PKCS#12 file in Tls:CertificatePath '{files.CertificatePath}' (wrong password, or not a PKCS#12 file: {ex.Message}).");
        }

        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new TlsConfigurationException($"Tls:CertificatePath: '{files.CertificatePath}' holds no certificate with a private key.");
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all.Where(c => !ReferenceEquals(c, leaf)))
        {
            chain.Add(certificate);
        }

        return Checked(leaf, chain, files);
    }

    private static ServerCertificate Checked(X509Certificate2 leaf, X509Certificate2Collection chain, ServerCertificateFiles files)
    {
        // The same rule as Kestrel's own check: without an extended key usage any use is allowed; with one, it must
        // include server authentication, or every client would refuse the handshake.
        var usages = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).ToList();
        if (leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any() && !usages.Any(u => u.Value == ServerAuthentication))
        {
            throw new TlsConfigurationException($"Tls:CertificatePath: the certificate in '{files.CertificatePath}' ({leaf.Subject}) is not for servers: its extended key usage lacks server authentication.");
        }

        return new ServerCertificate(leaf, chain, files.Fingerprint);
    }

    private static string? FindKeyLabel(string text)
    {
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            if (KeyLabels.Contains(label, StringComparer.Ordinal))
            {
                return label;
            }

            rest = rest[fields.Location.End.GetOffset(rest.Length)..];
        }

        return null;
    }
}

/// <summary>The certificate (and key) files' bytes as read at one moment.</summary>
internal sealed class ServerCertificateFiles
{
    private ServerCertificateFiles(string certificatePath, byte[] certificate, string? keyPath, byte[]? key)
    {
        CertificatePath = certificatePath;
        Certificate = certificate;
        KeyPath = keyPath;
        Key = key;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(certificate);
        hash.AppendData(key ?? []);
        Fingerprint = Convert.ToHexString(hash.GetHashAndReset());
    }

    public string CertificatePath { get; }

    public byte[] Certificate { get; }

    public string? KeyPath { get; }

    public byte[]? Key { get; }

    /// <summary>A hash of both files' bytes.</summary>
    public string Fingerprint { get; }

    /// <summary>Whether the certificate file is PEM text (otherwise it is taken for PKCS#12).</summary>
    public bool IsPem => Certificate.AsSpan().IndexOf("-----BEGIN "u8) >= 0;

    /// <summary>Reads the files <paramref name="options"/> names.</summary>
    /// <exception cref="TlsConfigurationException">A file is missing or cannot be read.</exception>
    public static ServerCertificateFiles Read(TlsOptions options)
    {
        var certificatePath = options.CertificatePath!;
        var keyPath = string.IsNullOrWhiteSpace(options.KeyPath) ? null : options.KeyPath;
        return new(certificatePath, ReadFile("Tls:CertificatePath", certificatePath), keyPath, keyPath is null ? null : ReadFile("Tls:KeyPath", keyPath));
    }

    private static byte[] ReadFile(string key, string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TlsConfigurationException($"{key}: there is no file '{path}'.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new TlsConfigurationException($"{key}: '{path}' cannot be read ({ex.Message}).");
        }
    }
}
