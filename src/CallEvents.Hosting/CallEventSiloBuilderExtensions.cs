using System.Net;
using CallEvents.FollowUps;
using CallEvents.FollowUps.Callbacks;
using CallEvents.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;

namespace CallEvents.Hosting;

/// <summary>
/// The call-event silo, in two parts: what every silo of the service needs (<see cref="AddCallEventSilo"/>), and how
/// the host clusters it (<see cref="UseCallEventClustering"/>). A test cluster or a tool that brings its own
/// clustering calls only the first.
/// </summary>
public static class CallEventSiloBuilderExtensions
{
    /// <summary>
    /// Registers everything a call-event silo needs except clustering and endpoints: grain storage and reminders by
    /// storage mode, the call and workflow grains' services (<c>AddCallEventProcessing</c>) and the built-in HTTP
    /// callback follow-ups (<c>AddCallbackFollowUps</c>, configured by <c>FollowUps:Callbacks</c>).
    /// </summary>
    /// <remarks>
    /// Without a connection string, grain state (<see cref="Names.GrainStorage"/>) and reminders live in memory.
    /// With one, <c>UsePostgreSqlDurability</c> puts them in PostgreSQL, and with them cluster membership: the
    /// ADO.NET providers share one data source and one schema, so the database is the membership table as well.
    /// Callback targets are restricted (public https URLs only, unless a rule's flags allow more) on a production host:
    /// durable storage outside the Development environment, the same rule as the webhook credentials'.
    /// Add your own follow-up grains after this call.
    /// </remarks>
    /// <param name="silo">The silo builder.</param>
    /// <param name="postgresConnectionString">An Npgsql connection string, or null (or blank) for memory.</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder AddCallEventSilo(this ISiloBuilder silo, string? postgresConnectionString)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var durable = HostMode.StorageFor(postgresConnectionString) == StorageMode.PostgreSql;
        silo.Services.TryAddSingleton(sp => CallbackTargetPolicy.For(sp.GetRequiredService<IHostEnvironment>(), durable));
        if (durable)
        {
            silo.UsePostgreSqlDurability(postgresConnectionString!, Names.GrainStorage);
        }
        else
        {
            silo.AddMemoryGrainStorage(Names.GrainStorage);
            silo.UseInMemoryReminderService();
        }

        silo.AddCallEventProcessing();
        silo.AddCallbackFollowUps();

        // A grain call continues the trace of whoever made it (the webhook's HTTP request, a stream event's producer).
        silo.AddActivityPropagation();
        return silo;
    }

    /// <summary>
    /// The host's clustering and endpoints. Embedded mode: localhost clustering on
    /// <see cref="SiloOptions.SiloPort"/> and <see cref="SiloOptions.GatewayPort"/>, the silo its own primary unless
    /// <paramref name="primarySiloEndpoint"/> names another (several silos of one process or machine).
    /// PostgreSQL mode: the endpoints only, advertised on <see cref="SiloOptions.AdvertisedAddress"/>; membership is
    /// the database's, registered by <see cref="AddCallEventSilo"/> with the connection string.
    /// </summary>
    /// <param name="silo">The silo builder.</param>
    /// <param name="options">Cluster and service ids, ports, advertised address.</param>
    /// <param name="mode">The storage mode the silo was composed with.</param>
    /// <param name="primarySiloEndpoint">Embedded mode only: the silo endpoint of the primary silo, which holds the
    /// in-memory membership table; null when this silo is the primary.</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder UseCallEventClustering(this ISiloBuilder silo, SiloOptions options, StorageMode mode, IPEndPoint? primarySiloEndpoint = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        if (mode == StorageMode.PostgreSql)
        {
            silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primarySiloEndpoint, options.ServiceId, options.ClusterId);
        }

        return silo;
    }
}
