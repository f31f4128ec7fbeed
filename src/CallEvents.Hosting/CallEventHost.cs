using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace CallEvents.Hosting;

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
        var mode = HostMode.StorageFor(connectionString);

        builder.UseOrleans(silo =>
        {
            var options = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
            silo.AddCallEventSilo(connectionString);
            silo.UseCallEventClustering(options, mode);
            configureSilo?.Invoke(silo);
        });
        builder.AddCallEventWebSurface(mode);

        var app = builder.Build();
        app.UseCallEventWebSurface();
        return app;
    }
}
