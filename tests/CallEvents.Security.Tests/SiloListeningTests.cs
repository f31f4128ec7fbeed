using System.Net;
using CallEvents.Hosting;
using CallEvents.Security.Tests.Infrastructure;
using CallEvents.TestSupport;

namespace CallEvents.Security.Tests;

/// <summary>
/// Where the silo listens and what it advertises: loopback by default (the gateway above all), every address and port
/// from configuration, and invalid values refused at startup naming the key.
/// </summary>
public sealed class SiloListeningTests : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly PostgresServer _server;
    private readonly ClusterCertificates _certificates = new();

    public SiloListeningTests(PostgresFixture fixture) => _server = fixture.Server;

    public void Dispose() => _certificates.Dispose();

    public static TheoryData<string[], string> InvalidSettings => new()
    {
        { ["--Orleans:SiloPort=70000"], "Orleans:SiloPort must be between 1 and 65535 (it is 70000)" },
        { ["--Orleans:SiloPort=eleven"], "Orleans:SiloPort is not a valid whole number" },
        { ["--Orleans:GatewayPort=-1"], "Orleans:GatewayPort must be between 1 and 65535, or 0 for no gateway" },
        { ["--Orleans:SiloPort=12000", "--Orleans:GatewayPort=12000"], "Orleans:GatewayPort must differ from Orleans:SiloPort" },
        { ["--Orleans:AdvertisedAddress=0.0.0.0"], "Orleans:AdvertisedAddress must be an address the other silos can connect to" },
        { ["--Orleans:AdvertisedAddress=not a host!"], "Orleans:AdvertisedAddress 'not a host!' is neither an IP address nor a host name" },
        { ["--Orleans:AdvertisedAddress=no-such-silo.invalid"], "Orleans:AdvertisedAddress 'no-such-silo.invalid' does not resolve" },
        { ["--Orleans:GatewayListenAddress=localhost"], "Orleans:GatewayListenAddress must be an IP address" },
        { ["--Orleans:ListenOnAnyHostAddress=maybe"], "Orleans:ListenOnAnyHostAddress is not a valid boolean" },
        { ["--Orleans:Tls:CaCertificatePath=/etc/ssl/ca.pem"], "Orleans:Tls settings are given but no certificate" },
        { ["--Orleans:Tls:CertificatePath=/nonexistent/silo.pem", "--Orleans:Tls:CaCertificatePath=/etc/ssl/ca.pem"], "Orleans:Tls:CertificatePath: there is no file '/nonexistent/silo.pem'" },
        { ["--Orleans:Tls:AllowedThumbprints:0=abc"], "Orleans:Tls settings are given but no certificate" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task An_invalid_listening_setting_stops_the_host_naming_the_key(string[] args, string expected)
    {
        var errors = new StringWriter();
        await using var app = SecureHost.Build(args);

        var exitCode = await CallEventHost.RunAsync(app, errors);

        Assert.Equal(CallEventHost.ConfigurationErrorExitCode, exitCode);
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("Configuration error, the host did not start: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silo_TLS_refuses_to_accept_any_peer_and_a_certificate_its_own_CA_did_not_sign()
    {
        var (_, certificate, key) = _certificates.Issue("silo-without-trust");
        using var other = new ClusterCertificates("another-ca");
        const string password = "never-in-a-message";
        string[][] cases =
        [
            [$"--Orleans:Tls:CertificatePath={certificate}", $"--Orleans:Tls:KeyPath={key}"],
            [$"--Orleans:Tls:CertificatePath={certificate}", $"--Orleans:Tls:KeyPath={key}", $"--Orleans:Tls:CaCertificatePath={other.AuthorityPath}"],
            [$"--Orleans:Tls:CertificatePath={certificate}", $"--Orleans:Tls:KeyPath={key}", $"--Orleans:Tls:AllowedThumbprints:0=not-a-thumbprint"],
            [$"--Orleans:Tls:CertificatePath={certificate}", $"--Orleans:Tls:CertificatePassword={password}", $"--Orleans:Tls:AllowedThumbprints:0={new string('a', 40)}"],
        ];
        string[] expected =
        [
            "Orleans:Tls:CaCertificatePath or Orleans:Tls:AllowedThumbprints must say which peers to accept",
            "this silo's own certificate",
            "Orleans:Tls:AllowedThumbprints:0 must be a certificate's SHA-1 thumbprint",
            "Orleans:Tls:CertificatePath / KeyPath",
        ];
        for (var i = 0; i < cases.Length; i++)
        {
            var errors = new StringWriter();
            await using var app = SecureHost.Build(cases[i]);
            Assert.Equal(CallEventHost.ConfigurationErrorExitCode, await CallEventHost.RunAsync(app, errors));
            Assert.Contains(expected[i], errors.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(password, errors.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_embedded_default_listens_on_loopback_only_for_HTTP_silo_and_gateway()
    {
        await using var host = await LoopbackHost.StartAsync(new LoopbackHostOptions());
        Assert.Equal([IPAddress.Loopback], ListeningSockets.On(host.SiloPort));
        Assert.Equal([IPAddress.Loopback], ListeningSockets.On(host.GatewayPort));
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(host.BaseAddress.Host)));
    }

    [Fact]
    public async Task Without_a_URL_setting_HTTP_defaults_to_loopback_and_any_port_setting_replaces_the_default()
    {
        await using (var app = CallEventHost.Build([]))
        {
            Assert.Equal(CallEventHost.DefaultUrls, app.Configuration["urls"]);
        }

        // What the official container images set (ASPNETCORE_HTTP_PORTS=8080 arrives as HTTP_PORTS): no default URL then,
        // so Kestrel binds the port on every address.
        await using (var app = CallEventHost.Build(["--HTTP_PORTS=8080"]))
        {
            Assert.Null(app.Configuration["urls"]);
        }

        await using (var app = CallEventHost.Build(["--urls", "http://0.0.0.0:9090"]))
        {
            Assert.Equal("http://0.0.0.0:9090", app.Configuration["urls"]);
        }
    }

    [Fact]
    public async Task A_PostgreSQL_silo_listens_on_its_advertised_address_and_keeps_the_gateway_on_loopback()
    {
        var connectionString = await _server.CreateDatabaseAsync("listen_default");
        await using var host = await LoopbackHost.StartAsync(new LoopbackHostOptions { ConnectionString = connectionString, Args = ["--Security:AllowAnonymous=true"] });

        Assert.Equal([IPAddress.Loopback], ListeningSockets.On(host.SiloPort));
        Assert.Equal([IPAddress.Loopback], ListeningSockets.On(host.GatewayPort));
        var row = Assert.Single(await MembershipRow.ReadAsync(connectionString, host.ClusterId));
        Assert.Equal(("127.0.0.1", host.SiloPort, host.GatewayPort, MembershipRow.Active), (row.Address, row.Port, row.ProxyPort, row.Status));
    }

    [Fact]
    public async Task Configured_addresses_take_effect_any_address_listening_a_gateway_address_and_an_advertised_host_name()
    {
        var connectionString = await _server.CreateDatabaseAsync("listen_configured");
        await using var host = await LoopbackHost.StartAsync(new LoopbackHostOptions
        {
            ConnectionString = connectionString,
            Args =
            [
                "--Security:AllowAnonymous=true",
                "--Orleans:ListenOnAnyHostAddress=true",
                "--Orleans:GatewayListenAddress=0.0.0.0",
                "--Orleans:AdvertisedAddress=localhost",
            ],
        });

        Assert.Equal([IPAddress.Any], ListeningSockets.On(host.SiloPort));
        Assert.Equal([IPAddress.Any], ListeningSockets.On(host.GatewayPort));
        // The host name was resolved at startup; the others are told an address.
        var row = Assert.Single(await MembershipRow.ReadAsync(connectionString, host.ClusterId));
        Assert.Equal(("127.0.0.1", MembershipRow.Active), (row.Address, row.Status));
    }
}
