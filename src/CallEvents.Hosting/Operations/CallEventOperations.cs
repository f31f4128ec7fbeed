using CallEvents.Ingress.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace CallEvents.Hosting.Operations;

/// <summary>
/// What operating the service needs: health probes (<c>/health/live</c>, <c>/health/ready</c>), metrics (Prometheus on
/// <c>/metrics</c>, OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), traces over OTLP, log lines that carry the
/// trace id, the Orleans Dashboard on <c>/dashboard</c> and the graceful stop (<c>Shutdown</c>).
/// </summary>
public static class CallEventOperations
{
    /// <summary>The meters exported: the service's, the journal's, Orleans', ASP.NET Core's, Kestrel's, Npgsql's.</summary>
    public static readonly IReadOnlyList<string> Meters =
    [
        CallEventsTelemetry.MeterName,
        "CallEvents.Journal",
        "Microsoft.Orleans",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Npgsql",
    ];

    /// <summary>The activity sources traced: the service's, Orleans' grain calls, Npgsql's commands.</summary>
    public static readonly IReadOnlyList<string> ActivitySources =
    [
        CallEventsTelemetry.ActivitySourceName,
        "Microsoft.Orleans.Runtime",
        "Microsoft.Orleans.Application",
        "Npgsql",
    ];

    /// <summary>The OpenTelemetry variable that turns on the OTLP export of metrics, traces and logs.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Adds the health checks, OpenTelemetry, trace ids in logs and the shutdown options.</summary>
    /// <param name="builder">The web application builder.</param>
    /// <param name="postgresConnectionString">The PostgreSQL connection string, or null in embedded mode.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder AddCallEventOperations(this WebApplicationBuilder builder, string? postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<ShutdownOptions>().Configure<IConfiguration>(ShutdownOptions.Bind).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ShutdownOptions>, ShutdownOptionsValidator>());
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
        {
            try
            {
                host.ShutdownTimeout = shutdown.Value.Timeout;
            }
            catch (OptionsValidationException)
            {
                // Reported when the host starts (one line naming the key); it does not start.
            }
        });
        services.AddHostedService<DrainOnStop>();

        services.AddSingleton(new StorageProbe(postgresConnectionString));
        services.AddHealthChecks()
            .AddCheck<ProcessCheck>("process", tags: [HealthTags.Live])
            .AddCheck<SiloCheck>("silo", tags: [HealthTags.Ready])
            .AddCheck<StorageCheck>("storage", tags: [HealthTags.Ready])
            .AddCheck<DrainCheck>("shutdown", tags: [HealthTags.Ready]);

        // Log scopes carry the trace and span ids; JSON lines (Logging:Console:FormatterName=json) show them by default.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (builder.Configuration["Logging:Console:FormatterOptions:IncludeScopes"] is null)
        {
            services.Configure<JsonConsoleFormatterOptions>(o => o.IncludeScopes = true);
        }

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration[$"{SiloOptions.Section}:ServiceId"] ?? "callevents"))
            .WithMetrics(metrics => metrics
                .AddMeter([.. Meters])
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (otlp)
        {
            // Traces cost a span per request and grain call: collected only when they go somewhere.
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource([.. ActivitySources])
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsOperationsPath(context.Request.Path))
                    .AddHttpClientInstrumentation())
                .WithLogging()
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Maps <c>/health/live</c> and <c>/health/ready</c> (anonymous), <c>/metrics</c> and, when the silo has it,
    /// <c>/dashboard</c> (both behind operator keys, as <c>/calls</c>). None of them is in the OpenAPI document.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication MapCallEventOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/health/live", Probe(HealthTags.Live)).AllowAnonymous().ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", Probe(HealthTags.Ready)).AllowAnonymous().ExcludeFromDescription();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireOperator().ExcludeFromDescription();
        if (app.Services.GetService<DashboardEnabled>() is not null)
        {
            app.MapOrleansDashboard(routePrefix: "/dashboard").RequireOperator().ExcludeFromDescription();
        }

        return app;
    }

    /// <summary>Adds the Orleans Dashboard to a silo; <see cref="MapCallEventOperations"/> then maps it on <c>/dashboard</c>.</summary>
    /// <param name="silo">The silo builder.</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder AddCallEventDashboard(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.AddDashboard();
        silo.Services.TryAddSingleton<DashboardEnabled>();
        return silo;
    }

    private static HealthCheckOptions Probe(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = HealthResponse.WriteAsync,
    };

    private static bool IsOperationsPath(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/dashboard", StringComparison.OrdinalIgnoreCase);

    /// <summary>Marks a silo composed with the dashboard.</summary>
    private sealed class DashboardEnabled;
}
