using CallEvents.Journal;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// The real host in embedded mode, with a journal that tests can switch into failure.
/// </summary>
public sealed class HostFixture : IAsyncLifetime
{
    private HostInstance? _host;

    public HostInstance Host => _host ?? throw new InvalidOperationException("the host is not started");

    public HttpClient Http => Host.Http;

    public SwitchableJournal Journal { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await HostInstance.StartAsync(
            connectionString: null,
            clusterId: $"http-{Guid.NewGuid():N}",
            extraArgs: ["--Ingress:GrainCallTimeout=00:00:01", "--Ingress:RetryAfterSeconds=7", "--Processing:MaxEventsPerEntity=16"],
            configureSilo: silo => silo.Services.AddSingleton<IJournal, SwitchableJournal>());

        // Silo and web host share one service provider when co-hosted.
        Journal = (SwitchableJournal)Host.Services.GetRequiredService<IJournal>();
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    public Task<HttpResponseMessage> PostAsync(string source, byte[] body, string contentType = "application/json", params (string Name, string Value)[] headers) =>
        Host.PostAsync(source, body, contentType, headers);
}

[CollectionDefinition(Name)]
public sealed class HostCollection : ICollectionFixture<HostFixture>
{
    public const string Name = "host";
}
