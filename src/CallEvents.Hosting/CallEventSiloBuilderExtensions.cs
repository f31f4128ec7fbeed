using System.Net;
using System.Net.Sockets;
using CallEvents.FollowUps;
using CallEvents.FollowUps.Callbacks;
using CallEvents.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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
    /// The host's clustering, endpoints and silo TLS. Embedded mode: localhost clustering on
    /// <see cref="SiloOptions.SiloPort"/> and <see cref="SiloOptions.GatewayPort"/>, the silo its own primary unless
    /// <paramref name="primarySiloEndpoint"/> names another (several silos of one process or machine).
    /// PostgreSQL mode: the endpoints only, advertised on <see cref="SiloOptions.AdvertisedAddress"/> (listening there,
    /// or on every address with <see cref="SiloOptions.ListenOnAnyHostAddress"/>); membership is the database's,
    /// registered by <see cref="AddCallEventSilo"/> with the connection string; Kubernetes hosting when
    /// <see cref="SiloOptions.Kubernetes"/> says so (or, unset, when running in a pod). In both modes the gateway listens
    /// on <see cref="SiloOptions.GatewayListenAddress"/> (loopback by default), and <see cref="SiloOptions.Tls"/>, when it
    /// names a certificate, puts both ports under TLS with mutual authentication.
    /// </summary>
    /// <param name="silo">The silo builder.</param>
    /// <param name="options">Cluster and service ids, ports, addresses, TLS.</param>
    /// <param name="mode">The storage mode the silo was composed with.</param>
    /// <param name="primarySiloEndpoint">Embedded mode only: the silo endpoint of the primary silo, which holds the
    /// in-memory membership table; null when this silo is the primary.</param>
    /// <returns>The silo builder.</returns>
    /// <exception cref="OptionsValidationException"><paramref name="options"/> is invalid (the message names the keys).</exception>
    public static ISiloBuilder UseCallEventClustering(this ISiloBuilder silo, SiloOptions options, StorageMode mode, IPEndPoint? primarySiloEndpoint = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        var failures = SiloOptionsValidator.Check(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(SiloOptions.Section, typeof(SiloOptions), failures);
        }

        return silo.ConfigureCallEventClustering(options, mode, primarySiloEndpoint);
    }

    /// <summary>
    /// <see cref="UseCallEventClustering"/> without checking first: the host binds the options from configuration,
    /// and its startup validation reports whatever is wrong (naming the key) before anything here is used. Values that do
    /// not parse are skipped here for that reason.
    /// </summary>
    internal static ISiloBuilder ConfigureCallEventClustering(this ISiloBuilder silo, SiloOptions options, StorageMode mode, IPEndPoint? primarySiloEndpoint = null)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        var kubernetes = mode == StorageMode.PostgreSql && IsKubernetes(options);
        if (mode == StorageMode.Embedded)
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primarySiloEndpoint, options.ServiceId, options.ClusterId);
        }
        else if (kubernetes)
        {
            // The pod's IP is advertised (unless Orleans:AdvertisedAddress says otherwise), the silo named after the pod,
            // the silo port opened on every address of the pod; the gateway keeps its own listen address (set below).
            silo.UseKubernetesHosting();
        }

        silo.Configure<EndpointOptions>(endpoints =>
        {
            endpoints.SiloPort = options.SiloPort is >= 1 and <= 65535 ? options.SiloPort : EndpointOptions.DEFAULT_SILO_PORT;
            endpoints.GatewayPort = options.GatewayPort is >= 0 and <= 65535 ? options.GatewayPort : EndpointOptions.DEFAULT_GATEWAY_PORT;
            if (mode == StorageMode.PostgreSql)
            {
                IPAddress? advertised = null;
                if (options.AdvertisedAddress is { } configured && SiloAddresses.TryResolveAdvertised(configured, out var resolved, out _))
                {
                    advertised = resolved;
                }
                else if (!kubernetes)
                {
                    advertised = IPAddress.Parse(SiloOptions.DefaultAdvertisedAddress);
                }

                if (advertised is not null)
                {
                    endpoints.AdvertisedIPAddress = advertised;
                }

                if (options.ListenOnAnyHostAddress)
                {
                    var any = advertised?.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
                    endpoints.SiloListeningEndpoint = new IPEndPoint(any, endpoints.SiloPort);
                }
            }

            if (endpoints.GatewayPort > 0 && SiloAddresses.TryParseListen(options.GatewayListenAddress, out var gateway))
            {
                // The grain API is a trusted interface: it stays on loopback unless configured otherwise.
                endpoints.GatewayListeningEndpoint = new IPEndPoint(gateway, endpoints.GatewayPort);
            }
        });

        if (options.Tls is { IsConfigured: true } tls)
        {
            silo.UseCallEventTls(new SiloTlsCredentials(() => tls));
        }

        return silo;
    }

    /// <summary>Whether Kubernetes hosting is on: <see cref="SiloOptions.Kubernetes"/>, or unset, whether this runs in a pod.</summary>
    internal static bool IsKubernetes(SiloOptions options) =>
        options.Kubernetes ?? !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"));
}
