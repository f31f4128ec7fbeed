using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting;

/// <summary>
/// The host's edge: HTTPS on Kestrel with a reloadable certificate (<c>Tls</c>), and forwarded headers believed from
/// trusted proxies only (<c>ForwardedHeaders</c>). Both through the platform's own mechanisms: Kestrel's HTTPS
/// defaults and the forwarded-headers middleware.
/// </summary>
internal static class EdgeExtensions
{
    public static IServiceCollection AddCallEventEdge(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TlsOptions>, TlsOptionsValidator>());
        services.TryAddSingleton<ServerCertificateStore>();
        services.AddHostedService<ServerCertificateReloader>();
        // Applied by Kestrel when it binds an https:// address, after the options were validated.
        services.AddOptions<KestrelServerOptions>().Configure<ServerCertificateStore>((kestrel, store) => kestrel.ConfigureHttpsDefaults(store.Apply));

        services.AddOptions<TrustedProxyOptions>().BindConfiguration(TrustedProxyOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TrustedProxyOptions>, TrustedProxyOptionsValidator>());
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            // The middleware's defaults trust loopback, and with both lists empty it trusts every peer; neither is
            // wanted: only what is configured is trusted. (This also tames ASPNETCORE_FORWARDEDHEADERS_ENABLED, whose
            // middleware reads these same options.)
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            forwarded.ForwardedHeaders = ForwardedHeaders.None;
            TrustedProxyOptions proxies;
            try
            {
                proxies = trusted.Value;
            }
            catch (OptionsValidationException)
            {
                // The host does not start; it reports the validation failure itself.
                return;
            }

            if (!proxies.Any)
            {
                return;
            }

            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = proxies.ForwardLimit;
            foreach (var address in proxies.ProxyAddresses())
            {
                forwarded.KnownProxies.Add(address);
            }

            foreach (var network in proxies.ProxyNetworks())
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        });
        return services;
    }

    /// <summary>First in the pipeline, so that everything after it sees the client a trusted proxy names.</summary>
    public static IApplicationBuilder UseCallEventEdge(this IApplicationBuilder app) => app.UseForwardedHeaders();
}
