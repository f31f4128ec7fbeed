using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallEvents.Hosting;

/// <summary>Says at startup where the service listens and whether it is durable.</summary>
internal sealed partial class StartupBanner(HostMode mode, IServer server, IHostApplicationLifetime lifetime, ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = string.Join(", ", server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
            var description = mode.Describe();
            Listening(logger, addresses, description);
            if (mode.Mode == StorageMode.Embedded)
            {
                NotDurable(logger);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Call-event processor listening on {Addresses}; mode: {Mode}")]
    private static partial void Listening(ILogger logger, string addresses, string mode);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Embedded mode is NOT durable: state lives in this process's memory and is lost when it stops. Set ConnectionStrings__Orleans to a PostgreSQL database for durable state.")]
    private static partial void NotDurable(ILogger logger);
}
