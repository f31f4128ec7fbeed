using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>
/// A throwaway certificate authority for a silo cluster, made in the test, and the PEM files an operator would deploy:
/// the CA certificate, and per silo a certificate (server and client authentication, for 127.0.0.1) with its key.
/// </summary>
public sealed class ClusterCertificates : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("callevents-silo-tls-");

    public ClusterCertificates(string name = "callevents-test-ca")
    {
        Authority = CreateAuthority(name);
        AuthorityPath = PathOf($"{name}.crt");
        File.WriteAllText(AuthorityPath, Authority.ExportCertificatePem());
    }

    /// <summary>The CA, with its private key.</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The CA certificate's PEM file (<c>Orleans:Tls:CaCertificatePath</c>).</summary>
    public string AuthorityPath { get; }

    public string PathOf(string name) => Path.Combine(_directory.FullName, name);

    /// <summary>Issues a certificate signed by the CA and writes <c>{name}.crt</c> and <c>{name}.key</c>.</summary>
    public (X509Certificate2 Certificate, string CertificatePath, string KeyPath) Issue(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(Authority, now.AddMinutes(-5), now.AddDays(7), serial);
        var certificate = issued.CopyWithPrivateKey(key);
        var (certificatePath, keyPath) = (PathOf($"{name}.crt"), PathOf($"{name}.key"));
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificate, certificatePath, keyPath);
    }

    /// <summary>The <c>Orleans:Tls</c> arguments of a silo presenting <paramref name="name"/>'s certificate.</summary>
    public string[] SiloArgs(string name)
    {
        var (_, certificatePath, keyPath) = Issue(name);
        return [$"--Orleans:Tls:CertificatePath={certificatePath}", $"--Orleans:Tls:KeyPath={keyPath}", $"--Orleans:Tls:CaCertificatePath={AuthorityPath}"];
    }

    private static X509Certificate2 CreateAuthority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-10), now.AddDays(30));
    }

    public void Dispose()
    {
        Authority.Dispose();
        _directory.Delete(recursive: true);
    }
}
