using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting;

/// <summary>
/// The host's edge: HTTPS on Kestrel with a reloadable certificate (<c>Tls</c>), through Kestrel's own HTTPS defaults.
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

        return services;
    }
}
