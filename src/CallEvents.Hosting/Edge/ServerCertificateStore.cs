using System.Globalization;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting;

/// <summary>
/// Holds the certificate Kestrel serves on every <c>https://</c> address and swaps it when its files change. Kestrel
/// keeps its listeners: each new TLS handshake takes the current certificate (<see cref="Apply"/>), so a renewal is
/// served without a restart and without a moment in which the port is closed.
/// </summary>
internal sealed partial class ServerCertificateStore(IOptions<TlsOptions> options, TimeProvider time, ILogger<ServerCertificateStore> logger)
{
    private static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    private readonly Lock _gate = new();
    private ServerCertificate? _current;
    private string? _lastRejected;

    /// <summary>The certificate served now; loaded on first use.</summary>
    /// <exception cref="TlsConfigurationException">The first load failed (startup validation reports it before).</exception>
    public ServerCertificate Current
    {
        get
        {
            if (Volatile.Read(ref _current) is { } current)
            {
                return current;
            }

            lock (_gate)
            {
                if (_current is null)
                {
                    var loaded = ServerCertificate.Load(ServerCertificateFiles.Read(options.Value), options.Value.CertificatePassword);
                    Loaded(loaded, reloaded: false);
                    Volatile.Write(ref _current, loaded);
                }

                return _current;
            }
        }
    }

    /// <summary>
    /// Kestrel's HTTPS defaults, for every <c>https://</c> address: TLS 1.2 and 1.3 only, and, with <c>Tls</c>
    /// configured, this store's certificate, looked up again at each handshake.
    /// </summary>
    public void Apply(HttpsConnectionAdapterOptions https)
    {
        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        if (!options.Value.IsConfigured)
        {
            // No certificate of ours: only the Development environment gets here (startup validation refuses an
            // https:// address anywhere else), and Kestrel serves its development certificate.
            return;
        }

        var initial = Current;
        // Kestrel requires a certificate up front (and checks it); the handshake callback then serves the current one,
        // with its intermediates.
        https.ServerCertificate = initial.Leaf;
        https.ServerCertificateChain = initial.Chain;
        https.OnAuthenticate = (_, ssl) =>
        {
            ssl.ServerCertificate = null;
            ssl.ServerCertificateContext = Current.Context;
        };
    }

    /// <summary>
    /// Reads the files again and serves their certificate when they changed and load. The replaced certificate is not
    /// disposed: handshakes under way may still be using it.
    /// </summary>
    /// <returns>True when a new certificate is now served.</returns>
    public bool Refresh()
    {
        if (Volatile.Read(ref _current) is not { } current)
        {
            // Nothing served yet: the first handshake loads whatever the files hold then.
            return false;
        }

        ServerCertificateFiles files;
        try
        {
            files = ServerCertificateFiles.Read(options.Value);
        }
        catch (TlsConfigurationException ex)
        {
            // A file missing or unreadable for a moment (being replaced): logged once per distinct problem.
            Rejected(ex.Message, ex.Message, current);
            return false;
        }

        if (files.Fingerprint == current.Fingerprint || files.Fingerprint == _lastRejected)
        {
            return false;
        }

        ServerCertificate next;
        try
        {
            next = ServerCertificate.Load(files, options.Value.CertificatePassword);
        }
        catch (TlsConfigurationException ex)
        {
            // Often a rotation half done (the key written, the certificate not yet): the next change is tried again.
            Rejected(files.Fingerprint, ex.Message, current);
            return false;
        }

        lock (_gate)
        {
            Volatile.Write(ref _current, next);
            _lastRejected = null;
        }

        Loaded(next, reloaded: true);
        return true;
    }

    /// <summary>Logs a rejected change once: <paramref name="what"/> identifies it (the files' fingerprint, or the problem).</summary>
    private void Rejected(string what, string problem, ServerCertificate current)
    {
        if (_lastRejected != what)
        {
            _lastRejected = what;
            KeptCurrent(logger, problem, current.Leaf.Thumbprint);
        }
    }

    private void Loaded(ServerCertificate certificate, bool reloaded)
    {
        var leaf = certificate.Leaf;
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var until = notAfter.ToString("u", CultureInfo.InvariantCulture);
        if (reloaded)
        {
            CertificateReloaded(logger, leaf.Subject, leaf.Thumbprint, until);
        }
        else
        {
            CertificateLoaded(logger, leaf.Subject, leaf.Thumbprint, until, certificate.Chain.Count);
        }

        var now = time.GetUtcNow();
        if (now > notAfter || now < notBefore)
        {
            CertificateNotValidNow(logger, leaf.Thumbprint, notBefore.ToString("u", CultureInfo.InvariantCulture), until);
        }
        else if (notAfter - now < ExpiryWarning)
        {
            CertificateExpiresSoon(logger, leaf.Thumbprint, until);
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "TLS: serving certificate {Subject} ({Thumbprint}, valid until {NotAfter}) with {Intermediates} intermediate(s), TLS 1.2 and 1.3")]
    private static partial void CertificateLoaded(ILogger logger, string subject, string thumbprint, string notAfter, int intermediates);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "TLS: the certificate files changed; now serving {Subject} ({Thumbprint}, valid until {NotAfter})")]
    private static partial void CertificateReloaded(ILogger logger, string subject, string thumbprint, string notAfter);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "TLS: the certificate files changed but do not load, so the current certificate ({Thumbprint}) is kept: {Problem}")]
    private static partial void KeptCurrent(ILogger logger, string problem, string thumbprint);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "TLS: the certificate {Thumbprint} is not valid now (valid from {NotBefore} until {NotAfter}); clients will refuse it")]
    private static partial void CertificateNotValidNow(ILogger logger, string thumbprint, string notBefore, string notAfter);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "TLS: the certificate {Thumbprint} expires at {NotAfter}; renew it (the new files are picked up without a restart)")]
    private static partial void CertificateExpiresSoon(ILogger logger, string thumbprint, string notAfter);
}

/// <summary>Checks the certificate files every <see cref="TlsOptions.ReloadInterval"/> while the host runs.</summary>
internal sealed class ServerCertificateReloader(IOptions<TlsOptions> options, ServerCertificateStore store, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Polling the files' contents rather than watching for file-system events: those are unreliable on network and
        // container mounts, and a Kubernetes secret is replaced by swapping a symbolic link, not by writing the files.
        if (!options.Value.IsConfigured)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.ReloadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                store.Refresh();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
