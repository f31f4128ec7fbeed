namespace CallEvents.Hosting;

/// <summary>
/// The certificate every <c>https://</c> address in <c>Urls</c> is served with (configuration section <c>Tls</c>).
/// Where the host listens stays <c>Urls</c>'s business (e.g. <c>https://0.0.0.0:8443;http://127.0.0.1:5080</c>);
/// this says with which certificate. The files are re-read while the host runs, so a renewed certificate is served
/// without a restart.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Tls";

    /// <summary>
    /// The certificate: a PEM file (the server certificate first, then any intermediates, as in a
    /// <c>fullchain.pem</c>) or a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>, key included). Unset: no HTTPS.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>
    /// The PEM private key of a PEM certificate (PKCS#8, PKCS#1 or SEC1; RSA or ECDSA); unset when the key is in
    /// <see cref="CertificatePath"/>'s file.
    /// </summary>
    public string? KeyPath { get; set; }

    /// <summary>
    /// The password of an encrypted PEM key or of a PKCS#12 file. Set it from the environment
    /// (<c>Tls__CertificatePassword</c>) or a secret store, not in a settings file.
    /// </summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// How often the files are checked for a new certificate (default 30 s). A changed certificate that loads is
    /// served from the next TLS handshake on; one that does not (say, the key written before the certificate) is
    /// ignored, with a warning, and the current one stays until the files load again.
    /// </summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether a certificate is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath);
}
