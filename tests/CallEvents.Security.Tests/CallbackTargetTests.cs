using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CallEvents.FollowUps.Callbacks;
using CallEvents.Hosting;
using CallEvents.Security.Tests.Infrastructure;
using CallEvents.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>Where built-in callbacks may go: https and public addresses on a production host, unless a flag says otherwise.</summary>
public sealed class CallbackTargetTests
{
    // Nothing listens there: PostgreSQL mode makes the host a production host, and it must refuse before connecting.
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=1";

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("::ffff:192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fe80::1%2", "link-local")]
    [InlineData("fd12:3456::1", "private (unique local)")]
    [InlineData("100.64.0.1", "shared (carrier-grade NAT)")]
    [InlineData("0.0.0.0", "unspecified ('this network')")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("64:ff9b::a00:1", "private, embedded in IPv6")]
    [InlineData("::10.0.0.1", "private, embedded in IPv6")]
    public void Non_public_addresses_are_recognised_in_every_notation(string address, string kind)
    {
        Assert.Equal(kind, CallbackTargets.NonPublicKind(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.Null(CallbackTargets.NonPublicKind(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("https://127.0.0.1/x")]
    [InlineData("https://2130706433/x")]
    [InlineData("https://0x7f.1/x")]
    [InlineData("https://[::1]:8443/x")]
    [InlineData("https://[::ffff:a00:1]/x")]
    [InlineData("https://localhost/x")]
    [InlineData("https://crm.localhost./x")]
    public void URLs_naming_a_non_public_address_are_recognised_without_DNS(string url)
    {
        Assert.NotNull(CallbackTargets.NonPublicKind(new Uri(url)));
    }

    public static TheoryData<string[], string[]> RefusedConfigurations => new()
    {
        {
            ["--FollowUps:Callbacks:Rules:0:Name=ok", "--FollowUps:Callbacks:Rules:0:Url=https://crm.example.com/hook",
             "--FollowUps:Callbacks:Rules:1:Name=plain", "--FollowUps:Callbacks:Rules:1:Url=http://crm.example.com/hook"],
            ["FollowUps:Callbacks:Rules:1:Url must be https://", "FollowUps:Callbacks:Rules:1:AllowPlainHttp=true"]
        },
        {
            ["--FollowUps:Callbacks:Rules:0:Name=ok", "--FollowUps:Callbacks:Rules:0:Url=https://crm.example.com/hook",
             "--FollowUps:Callbacks:Rules:1:Name=ok2", "--FollowUps:Callbacks:Rules:1:Url=https://crm.example.com/hook2",
             "--FollowUps:Callbacks:Rules:2:Name=ok3", "--FollowUps:Callbacks:Rules:2:Url=https://crm.example.com/hook3",
             "--FollowUps:Callbacks:Rules:3:Name=metadata", "--FollowUps:Callbacks:Rules:3:Url=https://169.254.169.254/latest/meta-data"],
            ["FollowUps:Callbacks:Rules:3:Url targets 169.254.169.254 (link-local address)", "FollowUps:Callbacks:Rules:3:AllowPrivateNetwork=true"]
        },
        {
            ["--FollowUps:Callbacks:DefaultUrl=https://[::ffff:10.0.0.8]/hook", "--FollowUps:Callbacks:Rules:0:Name=default"],
            ["FollowUps:Callbacks:DefaultUrl targets [::ffff:", "(private address)", "FollowUps:Callbacks:DefaultUrlAllowPrivateNetwork=true"]
        },
        {
            ["--FollowUps:Callbacks:DefaultUrl=http://localhost:8080/hook", "--FollowUps:Callbacks:Rules:0:Name=default"],
            ["FollowUps:Callbacks:DefaultUrl must be https://", "FollowUps:Callbacks:DefaultUrl targets localhost (loopback (localhost) address)"]
        },
        {
            // Only the flag for what is wrong is set: plain http is allowed, the private address is still refused.
            ["--FollowUps:Callbacks:Rules:0:Name=lan", "--FollowUps:Callbacks:Rules:0:Url=http://192.168.10.4/hook", "--FollowUps:Callbacks:Rules:0:AllowPlainHttp=true"],
            ["FollowUps:Callbacks:Rules:0:Url targets 192.168.10.4 (private address)"]
        },
    };

    [Theory]
    [MemberData(nameof(RefusedConfigurations))]
    public async Task A_production_host_refuses_to_start_with_a_plain_http_or_private_callback_target_naming_the_rule(string[] rules, string[] expected)
    {
        var errors = new StringWriter();
        await using var app = SecureHost.Build([.. Args(), .. rules], UnreachableDatabase);

        // A host that wrongly starts is stopped by the deadline (and then fails on its exit code).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(CallEventHost.ConfigurationErrorExitCode, await CallEventHost.RunAsync(app, errors, deadline.Token));
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.All(expected, e => Assert.Contains(e, line, StringComparison.Ordinal));
    }

    [Fact]
    public void Explicit_flags_let_a_production_host_send_to_plain_http_and_private_targets()
    {
        using var app = SecureHost.Build(
            [.. Args(),
             "--FollowUps:Callbacks:DefaultUrl=http://10.0.0.8/hook", "--FollowUps:Callbacks:DefaultUrlAllowPlainHttp=true", "--FollowUps:Callbacks:DefaultUrlAllowPrivateNetwork=true",
             "--FollowUps:Callbacks:Rules:0:Name=default",
             "--FollowUps:Callbacks:Rules:1:Name=lan", "--FollowUps:Callbacks:Rules:1:Url=http://192.168.10.4/hook",
             "--FollowUps:Callbacks:Rules:1:AllowPlainHttp=true", "--FollowUps:Callbacks:Rules:1:AllowPrivateNetwork=true"],
            UnreachableDatabase);
        Assert.True(app.Services.GetRequiredService<CallbackTargetPolicy>().Restricted);
        Assert.Equal(2, app.Services.GetRequiredService<IOptions<CallbackOptions>>().Value.Rules.Count);
    }

    [Fact]
    public void Flags_on_a_rule_without_its_own_url_are_refused_as_they_would_do_nothing()
    {
        using var app = SecureHost.Build(
            [.. Args(), "--FollowUps:Callbacks:DefaultUrl=https://crm.example.com/hook", "--FollowUps:Callbacks:Rules:0:Name=r", "--FollowUps:Callbacks:Rules:0:AllowPrivateNetwork=true"]);
        var error = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<CallbackOptions>>().Value);
        Assert.Contains("FollowUps:Callbacks:Rules:0:AllowPlainHttp / AllowPrivateNetwork apply to the rule's own Url", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_default_and_the_Development_environment_allow_loopback_http_receivers()
    {
        string[] rules = ["--FollowUps:Callbacks:Rules:0:Name=local", "--FollowUps:Callbacks:Rules:0:Url=http://127.0.0.1:9/hook"];
        using var embedded = SecureHost.Build([.. Args(), .. rules]);
        Assert.False(embedded.Services.GetRequiredService<CallbackTargetPolicy>().Restricted);
        Assert.Single(embedded.Services.GetRequiredService<IOptions<CallbackOptions>>().Value.Rules);

        using var development = SecureHost.Build([.. Args(), .. rules, "--environment", "Development"], UnreachableDatabase);
        Assert.False(development.Services.GetRequiredService<CallbackTargetPolicy>().Restricted);
        Assert.Single(development.Services.GetRequiredService<IOptions<CallbackOptions>>().Value.Rules);
    }
}

/// <summary>The send-time check on a real production host: PostgreSQL mode, Production environment.</summary>
public sealed class CallbackSendTimeTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_callback_to_a_name_that_resolves_to_loopback_is_refused_at_send_time_and_not_retried()
    {
        // A receiver on loopback, to see that nothing reaches it.
        using var receiver = new TcpListener(IPAddress.Loopback, 0);
        receiver.Start();
        var port = ((IPEndPoint)receiver.LocalEndpoint).Port;
        var connections = 0;
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                using var socket = await receiver.AcceptSocketAsync();
                Interlocked.Increment(ref connections);
            }
        });

        // The name passed every startup check (it is no IP literal, no localhost name); by the time the callback is
        // sent, it resolves to loopback, as after a DNS rebinding.
        const string host = "crm.rebinding.example";
        var resolver = new FixedResolver(host, IPAddress.Loopback);
        var logs = new FakeLogCollector();
        var db = await postgres.Server.CreateDatabaseAsync("rebinding");
        await using var silo = await SecureHost.StartAsync(
            [.. Args(),
             "--FollowUps:MaxAttempts=3", "--FollowUps:FirstRetryDelay=00:00:00.050",
             "--FollowUps:Callbacks:Rules:0:Name=crm", "--FollowUps:Callbacks:Rules:0:On=PcaReady",
             string.Create(CultureInfo.InvariantCulture, $"--FollowUps:Callbacks:Rules:0:Url=https://{host}:{port}/hook")],
            db,
            configure: b => b.Logging.AddProvider(new FakeLoggerProvider(logs)),
            configureSilo: s => s.Services.AddSingleton<ICallbackAddressResolver>(resolver));

        var callId = $"rebind-{Guid.NewGuid():N}";
        var delivered = await silo.PostAsync("verbex", Payloads.Verbex("callAnalysis.pcaCompleted", callId, callId, OrgA), VerbexA);
        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);

        JsonObject? action = null;
        await Wait.UntilAsync(
            async () =>
            {
                var answer = await silo.GetAsync($"/calls/verbex/{callId}/follow-ups", OperatorKey);
                var actions = (await Payloads.JsonAsync(answer))["followUps"]!.AsArray().SelectMany(f => f!["actions"]!.AsArray()).ToList();
                action = actions.SingleOrDefault()?.AsObject();
                return action?["status"]?.GetValue<string>() == "Failed";
            },
            TimeSpan.FromSeconds(60),
            "the callback to be recorded as failed");

        var attempt = Assert.Single(action!["attempts"]!.AsArray());
        var outcome = attempt!["outcome"]!.GetValue<string>();
        Assert.Contains($"refused: {host} resolves to 127.0.0.1 (loopback address)", outcome, StringComparison.Ordinal);
        Assert.Contains("FollowUps:Callbacks:Rules:0:AllowPrivateNetwork=true", outcome, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref connections));
        Assert.True(resolver.Lookups >= 1);

        // The startup check said so before the first callback.
        Assert.Contains(logs.GetSnapshot(), l => l.Id.Id == 4101 && l.Message.Contains(host, StringComparison.Ordinal));
        receiver.Stop();
        await Assert.ThrowsAnyAsync<Exception>(() => accepting);
    }

    private sealed class FixedResolver(string host, IPAddress address) : ICallbackAddressResolver
    {
        private int _lookups;

        public int Lookups => Volatile.Read(ref _lookups);

        public Task<IPAddress[]> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _lookups);
            return Task.FromResult(string.Equals(name, host, StringComparison.OrdinalIgnoreCase) ? new[] { address } : []);
        }
    }
}
