using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using CallEvents.Ingress;
using CallEvents.Ingress.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>No cluster here: nothing in this test reaches a grain.</summary>
    public class NoGrains : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            throw new InvalidOperationException($"{targetMethod?.Name} was not expected to reach a grain");
    }
}
