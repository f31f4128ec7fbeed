using System.Net;
using System.Text.RegularExpressions;
using CallEvents.Hosting;
using CallEvents.Security.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CallEvents.Security.Tests;

/// <summary>
/// <c>X-Forwarded-For</c> is believed only from configured proxies. Observed where it matters: the client address
/// the webhook guard logs for a refused delivery (this test client connects from 127.0.0.1).
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string Client = "203.0.113.77";

    public static TheoryData<string[]> UntrustedPeers => new()
    {
        { [] },
        { ["--ForwardedHeaders:KnownProxies:0=192.0.2.10", "--ForwardedHeaders:KnownNetworks:0=10.20.0.0/16"] },
        { ["--ForwardedHeaders:KnownNetworks:0=fd00:1234::/32"] },
    };

    [Theory]
    [MemberData(nameof(UntrustedPeers))]
    public async Task X_Forwarded_For_from_a_peer_that_is_not_a_trusted_proxy_changes_nothing(string[] proxies)
    {
        var remote = await RefusedDeliveryLoggedFromAsync(proxies, (Client, "https"));
        Assert.Equal(IPAddress.Loopback.ToString(), remote);
    }

    [Fact]
    public async Task ASPNETCORE_FORWARDEDHEADERS_ENABLED_does_not_make_every_peer_a_trusted_proxy()
    {
        // That switch adds the platform's own forwarded-headers middleware, which on its defaults believes anyone.
        Environment.SetEnvironmentVariable("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true");
        try
        {
            Assert.Equal(IPAddress.Loopback.ToString(), await RefusedDeliveryLoggedFromAsync([], (Client, "https")));
        }
        finally
        {
            Environment.SetEnvironmentVariable("ASPNETCORE_FORWARDEDHEADERS_ENABLED", null);
        }
    }

    public static TheoryData<string[]> TrustedPeers => new()
    {
        { ["--ForwardedHeaders:KnownProxies:0=127.0.0.1"] },
        { ["--ForwardedHeaders:KnownProxies:0=192.0.2.10", "--ForwardedHeaders:KnownNetworks:0=127.0.0.0/8"] },
    };

    [Theory]
    [MemberData(nameof(TrustedPeers))]
    public async Task X_Forwarded_For_from_a_trusted_proxy_names_the_client(string[] proxies)
    {
        Assert.Equal(Client, await RefusedDeliveryLoggedFromAsync(proxies, (Client, "https")));
    }

    [Fact]
    public async Task Behind_one_trusted_proxy_a_client_cannot_smuggle_an_address_further_left()
    {
        // The client sent "X-Forwarded-For: 198.51.100.1" itself; the proxy appended the address it saw.
        Assert.Equal(Client, await RefusedDeliveryLoggedFromAsync(["--ForwardedHeaders:KnownProxies:0=127.0.0.1"], ($"198.51.100.1, {Client}", "https")));
    }

    public static TheoryData<string, string> InvalidConfigurations => new()
    {
        { "--ForwardedHeaders:KnownProxies:0=proxy.internal", "ForwardedHeaders:KnownProxies:0 ('proxy.internal') is not an IP address" },
        { "--ForwardedHeaders:KnownNetworks:0=10.0.0.1/8", "ForwardedHeaders:KnownNetworks:0 ('10.0.0.1/8') has address bits set after the prefix: write 10.0.0.0/8" },
        { "--ForwardedHeaders:KnownNetworks:0=10.0.0.0", "ForwardedHeaders:KnownNetworks:0 ('10.0.0.0') must be a network in CIDR notation" },
        { "--ForwardedHeaders:KnownNetworks:0=0.0.0.0/0", "ForwardedHeaders:KnownNetworks:0 ('0.0.0.0/0') would trust every peer" },
        { "--ForwardedHeaders:ForwardLimit=0", "ForwardedHeaders:ForwardLimit must be between 1 and 10" },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public async Task An_invalid_proxy_configuration_stops_the_host_naming_the_key(string arg, string expected)
    {
        var errors = new StringWriter();
        await using var app = SecureHost.Build([arg]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(CallEventHost.ConfigurationErrorExitCode, await CallEventHost.RunAsync(app, errors, deadline.Token));
        Assert.Contains(expected, errors.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Sends a delivery without credentials carrying forwarded headers; returns the client address the guard logged.</summary>
    private static async Task<string> RefusedDeliveryLoggedFromAsync(string[] proxies, (string For, string Proto) forwarded)
    {
        var logs = new FakeLogCollector();
        await using var host = await SecureHost.StartAsync(
            [.. TestCredentials.Args(), "--Logging:LogLevel:CallEvents.Ingress.Security=Debug", .. proxies],
            configure: b => b.Logging.AddProvider(new FakeLoggerProvider(logs)));
        var callId = $"fwd-{Guid.NewGuid():N}";
        var response = await host.PostAsync(
            "verbex",
            Payloads.Verbex("CallHandler.CallStarted", callId, callId, null),
            [("X-Forwarded-For", forwarded.For), ("X-Forwarded-Proto", forwarded.Proto)]);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        // Event 2101: "Refused a {Source} delivery from {Remote}: {Reason}; answered 401".
        var refused = Assert.Single(logs.GetSnapshot(), l => l.Id.Id == 2101);
        return Regex.Match(refused.Message, " from (?<remote>[^ ]+): ").Groups["remote"].Value;
    }
}
