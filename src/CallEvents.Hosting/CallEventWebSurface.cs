using CallEvents.Hosting.Operations;
using CallEvents.Ingress;
using CallEvents.Ingress.OpenApi;
using CallEvents.Ingress.Security;
using CallEvents.OperatorConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Hosting;

/// <summary>The HTTP surface of the service: webhooks in, snapshots and follow-ups out, <c>GET /</c>.</summary>
public static class CallEventWebSurface
{
    /// <summary>
    /// Adds the surface's services: webhook ingress with its security (credentials, limits), HTTPS with a reloadable
    /// certificate (<c>Tls</c>), forwarded headers from trusted proxies (<c>ForwardedHeaders</c>), the OpenAPI document,
    /// the host mode and the startup banner.
    /// </summary>
    /// <param name="builder">The web application builder.</param>
    /// <param name="mode">The storage mode: it decides whether this host may run without credentials.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder AddCallEventWebSurface(this WebApplicationBuilder builder, StorageMode mode)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Embedded (in-memory) mode and the Development environment may run open; a durable production host may not.
        builder.Services.AddSingleton(SecurityHostMode.For(builder.Environment, durableStorage: mode == StorageMode.PostgreSql));
        builder.Services.AddWebhookIngress();
        builder.Services.AddCallEventOpenApi();
        builder.Services.AddCallEventEdge();
        builder.Services.AddSingleton(new HostMode(mode));
        builder.Services.AddHostedService<StartupBanner>();
        builder.AddCallEventOperations(mode == StorageMode.PostgreSql ? builder.Configuration.GetConnectionString(CallEventHost.ConnectionStringName) : null);
        return builder;
    }

    /// <summary>
    /// Adds the middleware (forwarded headers from trusted proxies, problem answers for errors and bare status codes,
    /// request timeouts, authentication) and maps the endpoints: <c>/webhooks/{source}</c>, <c>/calls/…</c>,
    /// <c>/workflows/…</c>, <c>/export</c>, <c>GET /</c> and the OpenAPI document at <c>/openapi/v1.json</c>.
    /// </summary>
    /// <param name="app">The built application.</param>
    /// <returns>The application.</returns>
    public static WebApplication UseCallEventWebSurface(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseCallEventEdge();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebhookSecurity();
        app.MapWebhookIngress();
        app.MapCallQueryApi();
        app.MapOperatorConsole();
        app.MapGet("/", (HostMode hostMode) => TypedResults.Ok(new ServiceDescription("call-event processor", hostMode.Describe())))
            .WithName("GetService")
            .WithTags("Service")
            .WithSummary("The service's name and storage mode (no credentials needed)");
        app.MapCallEventOpenApi();
        app.MapCallEventOperations();
        return app;
    }
}

/// <summary>The answer of <c>GET /</c>.</summary>
/// <param name="Service">The service's name.</param>
/// <param name="Mode">The storage mode, e.g. whether state survives a restart.</param>
public sealed record ServiceDescription(string Service, string Mode);
