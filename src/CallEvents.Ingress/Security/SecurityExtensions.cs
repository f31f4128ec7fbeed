using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace CallEvents.Ingress.Security;

/// <summary>Registration of credentials, tenant isolation and limits (configuration section <c>Security</c>).</summary>
public static class SecurityExtensions
{
    /// <summary>
    /// Adds the security options (validated at startup), the webhook authenticator, the operator-key authentication
    /// scheme (<see cref="OperatorKeyDefaults.AuthenticationScheme"/>) and policies (<see cref="OperatorPolicies"/>),
    /// the per-source rate limits, request timeouts and Kestrel limits. <see cref="IngressExtensions.AddWebhookIngress"/>
    /// calls it. Register a <see cref="SecurityHostMode"/> first to say whether the host counts as a development host;
    /// without one, only the Development environment does.
    /// </summary>
    public static IServiceCollection AddWebhookSecurity(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(SecurityPolicy)))
        {
            // Already added (the rate limiter refuses a policy name twice).
            return services;
        }

        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>());
        services.TryAddSingleton(sp => SecurityHostMode.For(sp.GetRequiredService<IHostEnvironment>(), durableStorage: true));
        services.TryAddSingleton<SecurityPolicy>();
        services.TryAddSingleton<EntityInFlightGate>();
        services.TryAddSingleton<WebhookRateLimiter>();
        services.TryAddSingleton(sp => new WebhookGuard(
            sp.GetRequiredService<SecurityPolicy>(),
            sp.GetRequiredService<EntityInFlightGate>(),
            sp.GetRequiredService<WebhookRateLimiter>(),
            sp.GetRequiredService<IOptions<IngressOptions>>(),
            sp.GetRequiredKeyedService<TimeProvider>(CallEventClock.Key),
            sp.GetRequiredService<ILogger<WebhookGuard>>()));
        services.AddHostedService<SecurityStartupReport>();
        AddOperatorAccess(services);

        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<SecurityOptions>, IOptions<IngressOptions>>((timeouts, security, ingress) =>
            timeouts.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = security.Value.Limits.RequestTimeout,
                TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
                WriteTimeoutResponse = context =>
                    Answers.Unavailable(context, ingress.Value.RetryAfterSeconds, "The request took too long; retry later.").ExecuteAsync(context),
            });

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<SecurityOptions>, IOptions<IngressOptions>>((kestrel, security, ingress) =>
        {
            kestrel.AddServerHeader = false;
            RequestLimitOptions limits;
            int maxBodyBytes;
            try
            {
                limits = security.Value.Limits;
                maxBodyBytes = ingress.Value.MaxBodyBytes;
            }
            catch (OptionsValidationException)
            {
                // Kestrel is built with the application, before the options are validated on start; the host then
                // stops with the validation message, so there is nothing to configure here.
                return;
            }

            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersTotalSize;
            kestrel.Limits.MaxRequestHeaderCount = limits.MaxRequestHeaderCount;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            // Above the pipeline's own limit (which reads in 16 KiB chunks), so oversized bodies get its 413 problem.
            kestrel.Limits.MaxRequestBodySize = maxBodyBytes + (64 * 1024);
        });

        // An accepted payload may nest as deep as the pipeline's parser allows (64); the history endpoint embeds it a
        // few levels down, so answers must be allowed to nest deeper than the serializer's default of 64.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.MaxDepth = Math.Max(o.SerializerOptions.MaxDepth, 128));

        // A client that breaks HTTP mid-request (truncated or too slow a body) is the client's fault: answer its
        // status (400, 408, 413) as a problem, not 500, and do not log it as a server error.
        services.Configure<ExceptionHandlerOptions>(o =>
        {
            o.StatusCodeSelector ??= ClientFaultStatus;
            o.SuppressDiagnosticsCallback ??= IsClientFault;
        });
        return services;
    }

    /// <summary>
    /// Adds the request-timeout, authentication and authorization middleware (operator keys), in that order so the
    /// tenant check's grain read runs under the request timeout. Call it after <c>UseExceptionHandler</c> and before
    /// the endpoints are mapped. (Webhooks authenticate inside their pipeline, on the exact body bytes; rate limits
    /// are charged there too, after the body arrived and was authenticated.)
    /// </summary>
    public static IApplicationBuilder UseWebhookSecurity(this IApplicationBuilder app)
    {
        app.UseRequestTimeouts();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// The operator-key scheme and the operator policies. The scheme is not made the default: only endpoints whose
    /// policy names it run it, so a webhook's <c>Authorization</c> header is never taken for an operator key.
    /// </summary>
    private static void AddOperatorAccess(IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, OperatorKeyAuthenticationHandler>(OperatorKeyDefaults.AuthenticationScheme, displayName: "Operator key", configureOptions: null);
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicies.Operator, policy => policy
                .AddAuthenticationSchemes(OperatorKeyDefaults.AuthenticationScheme)
                .AddRequirements(new OperatorKeyRequirement()))
            .AddPolicy(OperatorPolicies.TenantScoped, policy => policy
                .AddAuthenticationSchemes(OperatorKeyDefaults.AuthenticationScheme)
                .AddRequirements(new OperatorKeyRequirement(), new TenantScopeRequirement()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, OperatorKeyRequirementHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, TenantScopeHandler>());

        // Replaces the default result handler (which it wraps) so the tenant rule can answer 404 and 503, not only 403.
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, OperatorAuthorizationResultHandler>();
    }

    private static int ClientFaultStatus(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,

        // A failure behind the surface that escaped an endpoint (every endpoint maps these itself; this is the net
        // under them): the storage or the cluster is in trouble, so the client is told to retry, never 500.
        _ when BehindTheSurface(exception) => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Storage trouble, a silo lost or a call timed out: exceptions a retry may cure.</summary>
    internal static bool BehindTheSurface(Exception exception) =>
        exception is CallEvents.Journal.JournalUnavailableException or CallEvents.Journal.JournalConflictException
            or Orleans.Runtime.OrleansException or TimeoutException
        || (exception is AggregateException { InnerExceptions.Count: > 0 } many && many.InnerExceptions.All(BehindTheSurface));

    private static bool IsClientFault(Microsoft.AspNetCore.Diagnostics.ExceptionHandlerSuppressDiagnosticsContext context) =>
        context.Exception is BadHttpRequestException;
}
