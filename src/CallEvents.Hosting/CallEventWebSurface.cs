using CallEvents.Ingress;
using CallEvents.Ingress.Security;
using CallEvents.OperatorConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Hosting;

/// <summary>The HTTP surface of the service: webhooks in, snapshots and follow-ups out, <c>GET /</c>.</summary>
public static class CallEventWebSurface
{
    /// <summary>
    /// Adds the surface's services: webhook ingress with its security (credentials, limits), the host mode and the
    /// startup banner.
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
        builder.Services.AddSingleton(new HostMode(mode));
        builder.Services.AddHostedService<StartupBanner>();
        return builder;
    }

    /// <summary>
    /// Adds the middleware (problem answers for errors and bare status codes, rate limits and request timeouts) and
    /// maps the endpoints: <c>/webhooks/{source}</c>, <c>/calls/…</c>, <c>/workflows/…</c> and <c>GET /</c>.
    /// </summary>
    /// <param name="app">The built application.</param>
    /// <returns>The application.</returns>
    public static WebApplication UseCallEventWebSurface(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebhookSecurity();
        app.MapWebhookIngress();
        app.MapCallQueryApi();
        app.MapOperatorConsole();
        app.MapGet("/", (HostMode hostMode) => TypedResults.Ok(new { service = "call-event processor", mode = hostMode.Describe() }));
        return app;
    }
}
