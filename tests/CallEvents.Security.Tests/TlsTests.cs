using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CallEvents.Hosting;
using CallEvents.Security.Tests.Infrastructure;
using CallEvents.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>HTTPS on the host itself: certificates from files, rotation without a restart, and refusals at startup.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly TestCertificates _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task The_host_serves_HTTPS_from_PEM_files_and_accepts_a_signed_delivery_over_it()
    {
        using var certificate = TestCertificates.Create();
        var (crt, key) = _files.WritePem(certificate, "server");
        await using var host = await SecureHost.StartAsync(
            [.. Args(), "--urls", "https://127.0.0.1:0", $"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={key}"],
            configureHttp: TestCertificates.Trusting(certificate));
        Assert.Equal(Uri.UriSchemeHttps, host.BaseAddress.Scheme);

        var callId = $"tls-{Guid.NewGuid():N}";
        var body = Payloads.SubVerseCall("call.placed", callId, Payloads.At);
        var delivery = await host.PostAsync("subverse", body, SubVerse(body));
        Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);
        var snapshot = await host.GetAsync($"/calls/subverse/{callId}", OperatorKey);
        Assert.Equal(HttpStatusCode.OK, snapshot.StatusCode);

        var handshake = await HandshakeAsync(host.BaseAddress, [certificate]);
        Assert.Equal(certificate.Thumbprint, handshake.Thumbprint);
        Assert.Contains(handshake.Protocol, new[] { SslProtocols.Tls12, SslProtocols.Tls13 });
        Assert.Equal(SslApplicationProtocol.Http2, handshake.Alpn);

        // HTTP/2 is offered and works end to end.
        using var http2 = new HttpRequestMessage(HttpMethod.Get, "/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var answer = await host.Http.SendAsync(http2);
        Assert.Equal(HttpVersion.Version20, answer.Version);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
    }

    [Fact]
    public async Task TLS_1_2_is_accepted()
    {
        using var certificate = TestCertificates.Create();
        var (crt, key) = _files.WritePem(certificate, "server");
        await using var host = await SecureHost.StartAsync(
            [.. Args(), "--urls", "https://127.0.0.1:0", $"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={key}"],
            configureHttp: TestCertificates.Trusting(certificate));
        var handshake = await HandshakeAsync(host.BaseAddress, [certificate], SslProtocols.Tls12);
        Assert.Equal(SslProtocols.Tls12, handshake.Protocol);
    }

    [Fact]
    public async Task A_rotated_certificate_is_served_without_a_restart()
    {
        using var first = TestCertificates.Create("callevents-first");
        using var second = TestCertificates.Create("callevents-second");
        var (crt, key) = _files.WritePem(first, "server");
        var logs = new FakeLogCollector();
        await using var host = await SecureHost.StartAsync(
            [.. Args(), "--urls", "https://127.0.0.1:0", $"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={key}", "--Tls:ReloadInterval=00:00:00.200", "--Logging:LogLevel:CallEvents.Hosting=Information"],
            configure: b => b.Logging.AddProvider(new FakeLoggerProvider(logs)),
            configureHttp: TestCertificates.Trusting(first, second));
        Assert.Equal(first.Thumbprint, (await HandshakeAsync(host.BaseAddress, [first, second])).Thumbprint);

        // A rotation half done (the new key beside the old certificate) is not served; the old certificate stays.
        TestCertificates.WriteAtomically(key, TestCertificates.KeyPem(second));
        await Wait.UntilAsync(() => logs.GetSnapshot().Any(l => l.Id.Id == 3103), TimeSpan.FromSeconds(30), "the half-rotated files to be noticed and refused");
        Assert.Equal(first.Thumbprint, (await HandshakeAsync(host.BaseAddress, [first, second])).Thumbprint);

        TestCertificates.WriteAtomically(crt, second.ExportCertificatePem());
        await Wait.UntilAsync(async () => (await HandshakeAsync(host.BaseAddress, [first, second])).Thumbprint == second.Thumbprint, TimeSpan.FromSeconds(30), "the rotated certificate to be served");
        Assert.Contains(logs.GetSnapshot(), l => l.Id.Id == 3102 && l.Message.Contains(second.Thumbprint, StringComparison.Ordinal));

        // Still the same host, answering deliveries, now over the new certificate.
        using var fresh = new HttpClient(new SocketsHttpHandler { SslOptions = { CertificateChainPolicy = TestCertificates.TrustPolicy(second) } }) { BaseAddress = host.BaseAddress };
        var body = Payloads.SubVerseCall("call.placed", $"rotated-{Guid.NewGuid():N}", Payloads.At);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/subverse") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        foreach (var (name, value) in SubVerse(body))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        Assert.Equal(HttpStatusCode.OK, (await fresh.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task A_PFX_certificate_opens_with_its_password_from_the_environment()
    {
        using var certificate = TestCertificates.Create();
        const string password = "pfx-password-from-the-environment";
        var pfx = _files.WritePfx(certificate, "server", password);
        Environment.SetEnvironmentVariable("Tls__CertificatePassword", password);
        SecureHost host;
        try
        {
            host = await SecureHost.StartAsync(
                [.. Args(), "--urls", "https://127.0.0.1:0", $"--Tls:CertificatePath={pfx}"],
                configureHttp: TestCertificates.Trusting(certificate));
        }
        finally
        {
            Environment.SetEnvironmentVariable("Tls__CertificatePassword", null);
        }

        await using (host)
        {
            Assert.Equal(certificate.Thumbprint, (await HandshakeAsync(host.BaseAddress, [certificate])).Thumbprint);
            Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("/", operatorKey: null)).StatusCode);
        }
    }

    [Fact]
    public async Task An_encrypted_PEM_key_opens_with_its_password()
    {
        using var certificate = TestCertificates.Create();
        var (crt, key) = _files.WritePem(certificate, "server", password: "pem-key-password");
        await using var host = await SecureHost.StartAsync(
            [.. Args(), "--urls", "https://127.0.0.1:0", $"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={key}", "--Tls:CertificatePassword=pem-key-password"],
            configureHttp: TestCertificates.Trusting(certificate));
        Assert.Equal(certificate.Thumbprint, (await HandshakeAsync(host.BaseAddress, [certificate])).Thumbprint);
    }

    public static TheoryData<string, string> BrokenConfigurations => new()
    {
        { "missing-certificate", "Tls:CertificatePath: there is no file" },
        { "missing-key", "Tls:KeyPath: there is no file" },
        { "garbage-key", "cannot be read as the certificate's ECDSA key" },
        { "key-of-another-certificate", "does not belong to the certificate in Tls:CertificatePath" },
        { "encrypted-key-without-password", "is encrypted; set Tls:CertificatePassword" },
        { "encrypted-key-wrong-password", "Tls:CertificatePassword does not decrypt" },
        { "pfx-wrong-password", "Tls:CertificatePassword does not open" },
        { "pfx-with-key-path", "Tls:KeyPath is set, but" },
        { "client-certificate", "is not for servers" },
        { "https-without-certificate", "Urls names an https:// address" },
        { "certificate-without-https", "names no https:// address" },
        { "reload-interval", "Tls:ReloadInterval must be between" },
    };

    [Theory]
    [MemberData(nameof(BrokenConfigurations))]
    public async Task A_broken_TLS_configuration_stops_the_host_with_one_line_naming_the_key(string scenario, string expected)
    {
        const string password = "the-right-password-4d1f";
        using var certificate = TestCertificates.Create();
        using var other = TestCertificates.Create("another");
        var (crt, key) = _files.WritePem(certificate, "server");
        List<string> args = scenario switch
        {
            "missing-certificate" => [$"--Tls:CertificatePath={_files.PathOf("nowhere.crt")}", $"--Tls:KeyPath={key}"],
            "missing-key" => [$"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={_files.PathOf("nowhere.key")}"],
            "garbage-key" => [$"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={Write("garbage.key", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")}"],
            "key-of-another-certificate" => [$"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={Write("other.key", TestCertificates.KeyPem(other))}"],
            "encrypted-key-without-password" => [$"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={Write("locked.key", TestCertificates.KeyPem(certificate, password))}"],
            "encrypted-key-wrong-password" => [$"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={Write("locked.key", TestCertificates.KeyPem(certificate, password))}", "--Tls:CertificatePassword=not-the-password"],
            "pfx-wrong-password" => [$"--Tls:CertificatePath={_files.WritePfx(certificate, "server", password)}", "--Tls:CertificatePassword=not-the-password"],
            "pfx-with-key-path" => [$"--Tls:CertificatePath={_files.WritePfx(certificate, "server", password)}", $"--Tls:CertificatePassword={password}", $"--Tls:KeyPath={key}"],
            "client-certificate" => [.. Pem(TestCertificates.Create("client", serverAuthentication: false), "client")],
            "https-without-certificate" => [],
            "certificate-without-https" => [$"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={key}"],
            "reload-interval" => [$"--Tls:CertificatePath={crt}", $"--Tls:KeyPath={key}", "--Tls:ReloadInterval=00:00:00"],
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        var urls = scenario == "certificate-without-https" ? "http://127.0.0.1:0" : "https://127.0.0.1:0";
        var logs = new FakeLogCollector();
        var errors = new StringWriter();
        await using var app = SecureHost.Build([.. Args(), "--urls", urls, .. args], configure: b => b.Logging.AddProvider(new FakeLoggerProvider(logs)));

        // A host that wrongly starts is stopped by the deadline (and then fails on its exit code).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(CallEventHost.ConfigurationErrorExitCode, await CallEventHost.RunAsync(app, errors, deadline.Token));
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("Configuration error, the host did not start: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain(password, line, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", line, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), l => l.Level >= LogLevel.Error);

        string Write(string name, string content)
        {
            var path = _files.PathOf(name);
            File.WriteAllText(path, content);
            return path;
        }

        IEnumerable<string> Pem(X509Certificate2 made, string name)
        {
            using (made)
            {
                var (c, k) = _files.WritePem(made, name);
                return [$"--Tls:CertificatePath={c}", $"--Tls:KeyPath={k}"];
            }
        }
    }

    /// <summary>One TLS handshake with the host, trusting <paramref name="trusted"/>: what it served.</summary>
    private static async Task<(string Thumbprint, SslProtocols Protocol, SslApplicationProtocol Alpn)> HandshakeAsync(Uri address, X509Certificate2[] trusted, SslProtocols protocols = SslProtocols.None)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = address.Host,
            EnabledSslProtocols = protocols,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            CertificateChainPolicy = TestCertificates.TrustPolicy(trusted),
        });
        return (tls.RemoteCertificate!.GetCertHashString(), tls.SslProtocol, tls.NegotiatedApplicationProtocol);
    }
}
