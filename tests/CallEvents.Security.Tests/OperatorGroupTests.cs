using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using CallEvents.Ingress;
using CallEvents.Ingress.Security;
using CallEvents.Security.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CallEvents.Security.Tests;

/// <summary>
/// <c>RequireOperator()</c> on a group covers whatever another engineer maps into it later, in any style, in a
/// host of their own composed from the public registration methods.
/// </summary>
public sealed class OperatorGroupTests
{
    private const string Key = "own-host-operator-key-5a1e";

    [Fact]
    public async Task Endpoints_added_to_a_protected_group_after_it_was_protected_need_the_key()
    {
        var builder = WebApplication.CreateBuilder(["--urls", "http://127.0.0.1:0", $"--Security:OperatorKeys:0:Key={Key}", "--Logging:LogLevel:Default=Warning"]);
        builder.Services.AddSingleton(DispatchProxy.Create<IGrainFactory, NoGrains>());
        builder.Services.AddWebhookIngress();
        await using var app = builder.Build();
        app.UseWebhookSecurity();
        var group = app.MapGroup("/ops").RequireOperator();
        group.MapGet("/typed/{id}", (string id) => TypedResults.Ok(id));
        group.MapGet("/delegate", (RequestDelegate)(context => context.Response.WriteAsync("delegate")));
        group.MapDelete("/typed/{id}", (string id, HttpContext context) => TypedResults.Ok(context.Operator()?.Name));
        await app.StartAsync();

        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/ops/typed/1"), (HttpMethod.Get, "/ops/delegate"), (HttpMethod.Delete, "/ops/typed/1") })
        {
            using var anonymous = new HttpRequestMessage(method, path);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(anonymous)).StatusCode);
            using var authorized = new HttpRequestMessage(method, path);
            authorized.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(authorized)).StatusCode);
        }

        await app.StopAsync();
    }

    [Fact]
    public async Task An_operator_key_is_a_principal_whose_tenant_is_a_claim_and_a_bound_key_is_403_off_entity_routes()
    {
        const string tenantKey = "own-host-tenant-key-77c2e1";
        var logs = new FakeLogCollector();
        var builder = WebApplication.CreateBuilder(
        [
            "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:CallEvents=Debug",
            $"--Security:OperatorKeys:0:Key={Key}", "--Security:OperatorKeys:0:Name=ops",
            $"--Security:OperatorKeys:1:Key={tenantKey}", "--Security:OperatorKeys:1:Name=acme-dashboard", "--Security:OperatorKeys:1:OrganizationId=org-acme",
        ]);
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddSingleton(DispatchProxy.Create<IGrainFactory, NoGrains>());
        builder.Services.AddWebhookIngress();
        await using var app = builder.Build();
        app.UseWebhookSecurity();
        app.MapGroup("/ops").RequireOperator().MapGet("/whoami", WhoAmI);
        // The plain Operator policy admits a tenant-bound key anywhere: for endpoints that scope tenants themselves.
        app.MapGroup("/any").RequireAuthorization(OperatorPolicies.Operator).MapGet("/whoami", WhoAmI);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        Assert.Equal("ops||ops|", await (await SendAsync(http, "/ops/whoami", Key)).Content.ReadAsStringAsync());
        Assert.Equal("acme-dashboard|org-acme|acme-dashboard|org-acme", await (await SendAsync(http, "/any/whoami", tenantKey)).Content.ReadAsStringAsync());

        var refused = await SendAsync(http, "/ops/whoami", tenantKey);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await Payloads.JsonAsync(refused);
        Assert.Equal(403, problem["status"]!.GetValue<int>());
        Assert.Equal("This operator key is bound to an organization and cannot use this endpoint.", problem["detail"]!.GetValue<string>());

        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await SendAsync(http, "/any/whoami", null));
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await SendAsync(http, "/any/whoami", "not-a-configured-key-0000"));
        await app.StopAsync();

        // Every refusal is logged at Debug, naming the key by its label only.
        var records = logs.GetSnapshot();
        Assert.Contains(records, r => r.Level == LogLevel.Debug && r.Id.Id == 2107 && r.Message.Contains("acme-dashboard", StringComparison.Ordinal) && r.Message.Contains("answered 403", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Level == LogLevel.Debug && r.Id.Id == 2106 && r.Message.Contains("missing-key", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Level == LogLevel.Debug && r.Id.Id == 2106 && r.Message.Contains("wrong-key", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Message.Contains(tenantKey, StringComparison.Ordinal) || r.Message.Contains(Key, StringComparison.Ordinal));
    }

    private static string WhoAmI(HttpContext context) =>
        $"{context.User.Identity?.Name}|{context.User.FindFirst(OperatorClaims.Organization)?.Value}|{context.Operator()?.Name}|{context.Operator()?.OrganizationId}";

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http.SendAsync(request);
    }

    /// <summary>No cluster here: nothing in this test reaches a grain.</summary>
    public class NoGrains : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            throw new InvalidOperationException($"{targetMethod?.Name} was not expected to reach a grain");
    }
}
