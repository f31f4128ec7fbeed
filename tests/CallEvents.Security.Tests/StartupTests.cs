using System.Net;
using CallEvents.Hosting;
using CallEvents.Ingress.Security;
using CallEvents.Security.Tests.Infrastructure;
using CallEvents.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>Which hosts may run open, which refuse to start, and how configuration mistakes are reported.</summary>
public sealed class StartupTests
{
    // Nothing listens there: a host that got as far as connecting would fail differently (and slowly).
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=1";

    [Fact]
    public async Task A_production_PostgreSQL_host_without_credentials_refuses_to_start()
    {
        await using var app = SecureHost.Build([], UnreachableDatabase);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("refuses to start open", error.Message, StringComparison.Ordinal);
        Assert.Contains("Security:AllowAnonymous=true", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string?, string[]> ConfigurationErrors => new()
    {
        { [], UnreachableDatabase, ["Security:Sources:<source>:Credentials", "Security:OperatorKeys", "Security:AllowAnonymous=true"] },
        { ["--Security:OperatorKeys:0:Key=tiny", "--Processing:MaxEventsPerEntity=1"], null, ["Security:OperatorKeys:0:Key", "Processing:MaxEventsPerEntity"] },
    };

    [Theory]
    [MemberData(nameof(ConfigurationErrors))]
    public async Task The_entry_point_reports_a_configuration_error_as_one_line_and_the_config_exit_code(string[] args, string? connectionString, string[] keys)
    {
        var logs = new FakeLogCollector();
        var errors = new StringWriter();
        await using var app = SecureHost.Build(args, connectionString, configure: b => b.Logging.AddProvider(new FakeLoggerProvider(logs)));

        var exitCode = await CallEventHost.RunAsync(app, errors);

        Assert.Equal(CallEventHost.ConfigurationErrorExitCode, exitCode);
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("Configuration error, the host did not start: ", line, StringComparison.Ordinal);
        Assert.All(keys, key => Assert.Contains(key, line, StringComparison.Ordinal));

        // Nothing else reports it: no "Hosting failed to start" with a stack trace, no error of any kind.
        Assert.DoesNotContain(logs.GetSnapshot(), l => l.Level >= LogLevel.Error);
        Assert.DoesNotContain("   at ", Text(logs), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_embedded_default_runs_open_and_says_so_loudly()
    {
        var logs = new FakeLogCollector();
        await using var host = await SecureHost.StartAsync([], configure: b => b.Logging.AddProvider(new FakeLoggerProvider(logs)));
        var callId = $"open-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, callId, null), [])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync($"/calls/verbex/{callId}", operatorKey: null)).StatusCode);
        // No key exists to match, so a presented one is neither needed nor refused.
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync($"/calls/verbex/{callId}", operatorKey: "no-operator-keys-configured-here")).StatusCode);

        var warnings = logs.GetSnapshot().Where(l => l.Level == LogLevel.Warning).Select(l => l.Message).ToList();
        Assert.Contains(warnings, m => m.Contains("webhook source verbex runs OPEN", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.Contains("webhook source subverse runs OPEN", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.Contains("operator API (/calls, /workflows) runs OPEN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Once_some_credentials_are_configured_surfaces_without_their_own_are_closed_not_open()
    {
        var logs = new FakeLogCollector();
        await using var host = await SecureHost.StartAsync(
            ["--Security:Sources:verbex:Credentials:0:Header=X-API-Key", $"--Security:Sources:verbex:Credentials:0:Secret={VerbexKeyA}"],
            configure: b => b.Logging.AddProvider(new FakeLoggerProvider(logs)));
        var body = Payloads.SubVerseCall("call.placed", $"closed-{Guid.NewGuid():N}", Payloads.At);
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await host.PostAsync("subverse", body, SubVerse(body)));
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await host.GetAsync("/calls/verbex/x", OperatorKey));
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", "c", $"t-{Guid.NewGuid():N}", null), VerbexA)).StatusCode);
        Assert.Contains(logs.GetSnapshot(), l => l.Level == LogLevel.Warning && l.Message.Contains("subverse has no credentials", StringComparison.Ordinal));
        Assert.DoesNotContain(VerbexKeyA, Text(logs), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowAnonymous_opens_only_the_surfaces_without_credentials()
    {
        await using var host = await SecureHost.StartAsync(
            ["--Security:AllowAnonymous=true", "--Security:Sources:verbex:Credentials:0:Header=X-API-Key", $"--Security:Sources:verbex:Credentials:0:Secret={VerbexKeyA}"]);
        var body = Payloads.SubVerseCall("call.placed", $"anon-{Guid.NewGuid():N}", Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", body, [])).StatusCode);
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", "c", "t", null), []));
    }

    public static TheoryData<string[], string> InvalidConfigurations => new()
    {
        { ["--Security:Sources:verbex:Credentials:0:Secret=short"], "Security:Sources:verbex:Credentials:0:Secret must be at least 16" },
        { ["--Security:Sources:verbex:Credentials:0:Secret=Bearer short-token"], "Security:Sources:verbex:Credentials:0:Secret must be at least 16" },
        { ["--Security:Sources:verbex:Credentials:0:Header=Bad Header", $"--Security:Sources:verbex:Credentials:0:Secret={VerbexKeyA}"], "Security:Sources:verbex:Credentials:0:Header must be a valid HTTP header name" },
        { ["--Security:Sources:verbex:Credentials:0:Header=webhook-signature", $"--Security:Sources:verbex:Credentials:0:Secret={VerbexKeyA}"], "Credentials:0:Header may not be webhook-signature" },
        { [$"--Security:Sources:verbex:Credentials:0:Secret={VerbexKeyA}", "--Security:Sources:verbex:Credentials:0:OrganizationId=  "], "OrganizationId may not be blank" },
        { ["--Security:Sources:nosuch:Credentials:0:Secret=0123456789abcdef0123"], "Security:Sources:nosuch: unknown source" },
        { ["--Security:Sources:subverse:SigningSecrets:0:Secret=whsec_not*base64"], "Security:Sources:subverse:SigningSecrets:0:Secret must be 'whsec_'" },
        { ["--Security:Sources:subverse:SigningSecrets:0:Secret=whsec_c2hvcnQ="], "Security:Sources:subverse:SigningSecrets:0:Secret must be 'whsec_'" },
        { ["--Security:OperatorKeys:0:Key=tiny"], "Security:OperatorKeys:0:Key must be at least 16" },
        { [$"--Security:Sources:verbex:Credentials:0:Secret=Bearer {OperatorKey}", $"--Security:OperatorKeys:0:Key={OperatorKey}"], "Security:OperatorKeys:0:Key equals a webhook credential" },
        { [$"--Security:OperatorKeys:0:Key={OperatorKey}", $"--Security:OperatorKeys:1:Key={OperatorKey}"], "Security:OperatorKeys:1:Key repeats another operator key" },
        { ["--Security:SignatureTolerance=00:00:00"], "Security:SignatureTolerance must be between" },
        { ["--Security:RateLimit:PermitsPerSecond=0"], "Security:RateLimit:PermitsPerSecond must be between 1" },
        { ["--Security:Limits:MaxConcurrentPerEntity=0"], "Security:Limits:MaxConcurrentPerEntity must be between 1" },
        { ["--Security:Limits:RequestTimeout=00:00:01"], "Security:Limits:RequestTimeout must be between" },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public async Task Invalid_security_configuration_stops_the_host_naming_the_key_and_never_the_secret(string[] args, string expected)
    {
        await using var app = SecureHost.Build(args);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        var secrets = args.Where(a => a.Contains("Secret=", StringComparison.Ordinal) || a.Contains("Key=", StringComparison.Ordinal))
            .Select(a => a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..])
            .Where(v => v.Trim().Length >= 4);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret.Trim(), error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Credentials_can_come_from_environment_variables()
    {
        var variables = new Dictionary<string, string>
        {
            ["Security__Sources__verbex__Credentials__0__Header"] = "X-API-Key",
            ["Security__Sources__verbex__Credentials__0__Secret"] = "env-configured-secret-8d2f",
            ["Security__OperatorKeys__0__Key"] = "env-configured-operator-61ab",
        };
        WebApplication app;
        try
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            app = SecureHost.Build([]);
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        await using (app)
        {
            await app.StartAsync();
            var address = app.Urls.Single();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var callId = $"env-{Guid.NewGuid():N}";
            using var denied = new HttpRequestMessage(HttpMethod.Post, "/webhooks/verbex") { Content = Json(Payloads.Verbex("CallHandler.CallStarted", callId, callId, null)) };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(denied)).StatusCode);
            using var allowed = new HttpRequestMessage(HttpMethod.Post, "/webhooks/verbex") { Content = Json(Payloads.Verbex("CallHandler.CallStarted", callId, callId, null)) };
            allowed.Headers.Add("X-API-Key", "env-configured-secret-8d2f");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(allowed)).StatusCode);
            using var query = new HttpRequestMessage(HttpMethod.Get, $"/calls/verbex/{callId}");
            query.Headers.Add("X-API-Key", "env-configured-operator-61ab");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(query)).StatusCode);
            await app.StopAsync();
        }
    }

    [Theory]
    [InlineData("Development", true, true)]
    [InlineData("Development", false, true)]
    [InlineData("Production", false, true)]
    [InlineData("Production", true, false)]
    [InlineData("Staging", true, false)]
    public void Development_hosts_are_the_Development_environment_or_non_durable_storage(string environment, bool durable, bool development)
    {
        var mode = SecurityHostMode.For(new HostingEnvironment { EnvironmentName = environment }, durable);
        Assert.Equal(development, mode.IsDevelopment);
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return content;
    }

    /// <summary>Every line the host logged, with its exception (stack traces included), to search for what must not appear.</summary>
    private static string Text(FakeLogCollector logs) =>
        string.Join('\n', logs.GetSnapshot().Select(l => $"{l.Level} {l.Id.Id}: {l.Message}{(l.Exception is null ? "" : $" {l.Exception}")}"));
}

/// <summary>The production path for real: PostgreSQL mode in the Production environment.</summary>
public sealed class ProductionHostTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_production_PostgreSQL_host_with_credentials_starts_and_enforces_them()
    {
        var db = await postgres.Server.CreateDatabaseAsync("secure");
        await using var host = await SecureHost.StartAsync(Args(), db);
        var callId = $"pg-{Guid.NewGuid():N}";
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, callId, OrgA), []));
        Assert.Equal(HttpStatusCode.NotFound, (await host.GetAsync($"/calls/verbex/{callId}", OperatorKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, callId, OrgA), VerbexA)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync($"/calls/verbex/{callId}", OperatorKeyA)).StatusCode);
    }

    [Fact]
    public async Task A_production_PostgreSQL_host_may_run_open_when_told_to_explicitly()
    {
        var db = await postgres.Server.CreateDatabaseAsync("anonymous");
        await using var host = await SecureHost.StartAsync(["--Security:AllowAnonymous=true"], db);
        var callId = $"pg-open-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, callId, null), [])).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync($"/calls/verbex/{callId}", operatorKey: null)).StatusCode);
        // No key exists to match, so a presented one is neither needed nor refused.
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync($"/calls/verbex/{callId}", operatorKey: "no-operator-keys-configured-here")).StatusCode);
    }
}
