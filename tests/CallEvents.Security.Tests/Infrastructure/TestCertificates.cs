using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>
/// Self-signed server certificates made in the test (for 127.0.0.1 and localhost), written as an operator would
/// deploy them: PEM certificate and key files, or a password-protected PKCS#12 file, in a temporary directory.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("callevents-tls-");

    public string PathOf(string name) => Path.Combine(_directory.FullName, name);

    /// <summary>A new self-signed ECDSA server certificate with its private key.</summary>
    public static X509Certificate2 Create(string subject = "callevents-test", bool serverAuthentication = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuthentication ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
    }

    /// <summary>Writes the certificate to <c>{name}.crt</c> and its key to <c>{name}.key</c> (encrypted when a password is given).</summary>
    public (string Certificate, string Key) WritePem(X509Certificate2 certificate, string name, string? password = null)
    {
        var (certificatePath, keyPath) = (PathOf($"{name}.crt"), PathOf($"{name}.key"));
        WriteAtomically(certificatePath, certificate.ExportCertificatePem());
        WriteAtomically(keyPath, KeyPem(certificate, password));
        return (certificatePath, keyPath);
    }

    /// <summary>Writes a password-protected PKCS#12 file.</summary>
    public string WritePfx(X509Certificate2 certificate, string name, string password)
    {
        var path = PathOf($"{name}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    /// <summary>
    /// Replaces a file's content the way deployment tools do: written beside it, then renamed over it, so a reader
    /// never sees half a file.
    /// </summary>
    public static void WriteAtomically(string path, string content)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    public static string KeyPem(X509Certificate2 certificate, string? password = null)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        return password is null
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
    }

    /// <summary>A handler setting that trusts exactly these certificates (and still checks the host name).</summary>
    public static Action<System.Net.Http.SocketsHttpHandler> Trusting(params X509Certificate2[] certificates) => handler =>
        handler.SslOptions.CertificateChainPolicy = TrustPolicy(certificates);

    public static X509ChainPolicy TrustPolicy(params X509Certificate2[] certificates)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(certificates);
        return policy;
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
