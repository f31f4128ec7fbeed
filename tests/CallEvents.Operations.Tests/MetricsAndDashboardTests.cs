using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using CallEvents.Hosting;
using CallEvents.TestSupport;

namespace CallEvents.Operations.Tests;

/// <summary>/metrics and /dashboard behind operator keys on a host with keys configured (embedded mode).</summary>
public sealed partial class MetricsAndDashboardTests : IAsyncLifetime
{
    private LoopbackHost? _host;

    private LoopbackHost Host => _host!;

    public async Task InitializeAsync() =>
        _host = await LoopbackHost.StartAsync(new LoopbackHostOptions
        {
            Args = ["--Security:AllowAnonymous=true", $"--Security:OperatorKeys:0:Key={Deliveries.OperatorKey}", "--Security:OperatorKeys:1:Key=operator-tenant-ops-51d0", "--Security:OperatorKeys:1:OrganizationId=org-a"],
        });

    public async Task DisposeAsync() => await Host.DisposeAsync();

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/dashboard/")]
    [InlineData("/dashboard/ClusterStats")]
    public async Task Without_an_operator_key_it_is_401(string path)
    {
        using var response = await Host.Http.SendAsync(Deliveries.Get(path, null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var wrong = await Host.Http.SendAsync(Deliveries.Get(path, "not-an-operator-key"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/dashboard/")]
    public async Task A_tenant_bound_key_is_refused_because_both_show_every_tenant(string path)
    {
        using var response = await Host.Http.SendAsync(Deliveries.Get(path, "operator-tenant-ops-51d0"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task The_dashboard_answers_an_operator_key()
    {
        using var page = await Host.Http.SendAsync(Deliveries.Get("/dashboard/", Deliveries.OperatorKey));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        using var stats = await Host.Http.SendAsync(Deliveries.Get("/dashboard/ClusterStats", Deliveries.OperatorKey));
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
    }

    [Fact]
    public async Task Delivery_counters_move_with_the_fixture_deliveries()
    {
        const string Accepted = """callevents_webhook_deliveries_total{otel_scope_name="CallEvents",callevents_event_type="CallHandler.CallEnded",callevents_outcome="accepted",callevents_reason="none",callevents_source="verbex",http_response_status_code="200"}""";
        const string Duplicate = """callevents_webhook_deliveries_total{otel_scope_name="CallEvents",callevents_event_type="CallHandler.CallEnded",callevents_outcome="duplicate",callevents_reason="none",callevents_source="verbex",http_response_status_code="200"}""";
        var before = await ScrapeAsync();
        var body = Deliveries.Fixture("verbex/call-ended.json");
        using (var first = await Host.Http.PostAsync(new Uri("/webhooks/verbex", UriKind.Relative), Deliveries.Json(body)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var again = await Host.Http.PostAsync(new Uri("/webhooks/verbex", UriKind.Relative), Deliveries.Json(body)))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (var rejected = await Host.Http.PostAsync(new Uri("/webhooks/verbex", UriKind.Relative), Deliveries.Json("{\"eventName\":"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);
        }

        var after = await ScrapeAsync();
        Assert.Equal(Value(before, Accepted) + 1, Value(after, Accepted));
        Assert.Equal(Value(before, Duplicate) + 1, Value(after, Duplicate));
        Assert.Contains("callevents_outcome=\"rejected\",callevents_reason=\"invalid-json\"", after, StringComparison.Ordinal);
        Assert.Contains("callevents_webhook_duration_seconds_bucket{", after, StringComparison.Ordinal);
        Assert.Contains("callevents_emissions_pending{", after, StringComparison.Ordinal);

        // No call id in any series: tags are low-cardinality only.
        using var document = System.Text.Json.JsonDocument.Parse(body);
        var callId = document.RootElement.GetProperty("payload").GetProperty("call_id").GetString()!;
        Assert.DoesNotContain(callId, after, StringComparison.Ordinal);

        // Orleans' and ASP.NET Core's meters are exported too.
        Assert.Matches(OrleansSeries(), after);
        Assert.Contains("http_server_request_duration_seconds", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_operations_endpoints_stay_out_of_the_OpenAPI_document()
    {
        using var response = await Host.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var document = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\"/metrics\"", document, StringComparison.Ordinal);
        Assert.DoesNotContain("\"/health/ready\"", document, StringComparison.Ordinal);
        Assert.DoesNotContain("/dashboard", document, StringComparison.Ordinal);
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await Host.Http.SendAsync(Deliveries.Get("/metrics", Deliveries.OperatorKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static double Value(string scrape, string series)
    {
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(?m)^orleans_[a-z_]+")]
    private static partial Regex OrleansSeries();
}

/// <summary>An invalid shutdown timeout stops the host with one line naming the key (exit 78).</summary>
public sealed class ShutdownConfigurationTests
{
    [Theory]
    [InlineData("--Shutdown:Timeout=soon", "Shutdown:Timeout")]
    [InlineData("--Shutdown:Timeout=00:00:00", "Shutdown:Timeout")]
    [InlineData("--Shutdown:DrainDelay=00:01:00", "Shutdown:DrainDelay")]
    public async Task An_invalid_value_is_a_configuration_error_naming_its_key(string argument, string key)
    {
        await using var app = LoopbackHost.Build(new LoopbackHostOptions { Args = [argument] });
        using var errors = new StringWriter();
        var exit = await CallEventHost.RunAsync(app, errors);
        Assert.Equal(CallEventHost.ConfigurationErrorExitCode, exit);
        var line = Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(key, line, StringComparison.Ordinal);
    }
}
