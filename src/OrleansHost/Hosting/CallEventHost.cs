using CallEvents;
using CallEvents.FollowUps;
using CallEvents.Ingress;
using CallEvents.Ingress.Security;
using CallEvents.PostgreSql;
using Orleans.Configuration;

namespace OrleansHost.Hosting;

/// <summary>
/// Composes the service: an Orleans silo and the HTTP surface in one process. With
/// <c>ConnectionStrings:Orleans</c> set, clustering, grain state and reminders live in PostgreSQL; without it
/// the host runs the embedded default (one local silo, in-memory state, not durable).
/// </summary>
public static class CallEventHost
{
    /// <summary>The connection string name that selects PostgreSQL mode.</summary>
    public const string ConnectionStringName = "Orleans";

    /// <summary>Builds the host from command-line arguments and the usual configuration sources.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Section:Key=value</c>).</param>
    /// <param name="configure">Runs first, on the web application builder (add services, configuration).</param>
    /// <param name="configureSilo">Runs last on the silo builder: add your own grains' services or providers.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        var mode = string.IsNullOrWhiteSpace(connectionString) ? StorageMode.Embedded : StorageMode.PostgreSql;

        builder.UseOrleans(silo =>
        {
            var options = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            if (mode == StorageMode.PostgreSql)
            {
                silo.UsePostgreSqlDurability(connectionString!, Names.GrainStorage);
                silo.ConfigureEndpoints(System.Net.IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
            }
            else
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
                silo.AddMemoryGrainStorage(Names.GrainStorage);
                silo.UseInMemoryReminderService();
            }

            silo.AddCallEventProcessing();
            silo.AddCallbackFollowUps();
            configureSilo?.Invoke(silo);
        });

        // Embedded (in-memory) mode and the Development environment may run open; a durable production host may not.
        builder.Services.AddSingleton(SecurityHostMode.For(builder.Environment, durableStorage: mode == StorageMode.PostgreSql));
        builder.Services.AddWebhookIngress();
        builder.Services.AddSingleton(new HostMode(mode));
        builder.Services.AddHostedService<StartupBanner>();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWebhookSecurity();
        app.MapWebhookIngress();
        app.MapCallQueryApi();
        app.MapGet("/", (HostMode hostMode) => TypedResults.Ok(new { service = "call-event processor", mode = hostMode.Describe() }));
        return app;
    }
}

/// <summary>Where state lives.</summary>
public enum StorageMode
{
    /// <summary>One local silo, in-memory state: for trying the service out, not durable.</summary>
    Embedded,

    /// <summary>PostgreSQL clustering, state and reminders: a 2xx means the event is stored.</summary>
    PostgreSql,
}

/// <summary>The mode the host runs in.</summary>
public sealed record HostMode(StorageMode Mode)
{
    /// <summary>A one-line description for humans.</summary>
    public string Describe() => Mode == StorageMode.Embedded
        ? "embedded (single local silo, in-memory state: NOT durable)"
        : "postgresql (clustered, durable)";
}

/// <summary>Silo settings (configuration section <c>Orleans</c>).</summary>
public sealed class SiloOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orleans";

    /// <summary>Cluster id (default <c>callevents</c>); silos with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "callevents";

    /// <summary>Service id (default <c>callevents</c>); grain state and reminders are keyed by it.</summary>
    public string ServiceId { get; set; } = "callevents";

    /// <summary>Silo-to-silo port (default 11111).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port (default 30000).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Address this silo advertises to the others in PostgreSQL mode (default 127.0.0.1).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
}
