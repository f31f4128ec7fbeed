using CallEvents.TestSupport;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// One real host (silo + Kestrel) in this process on free loopback ports (the shared <see cref="LoopbackHost"/>),
/// reached over real HTTP. Several instances with one connection string and cluster id form one
/// PostgreSQL-clustered cluster.
/// </summary>
public sealed class HostInstance : IAsyncDisposable
{
    private readonly LoopbackHost _host;

    private HostInstance(LoopbackHost host) => _host = host;

    public Uri BaseAddress => _host.BaseAddress;

    /// <summary>The silo's client gateway port, for external <see cref="IClusterClient"/>s.</summary>
    public int GatewayPort => _host.GatewayPort;

    public HttpClient Http => _host.Http;

    public IServiceProvider Services => _host.Services;

    public static async Task<HostInstance> StartAsync(string? connectionString, string clusterId, IEnumerable<string>? extraArgs = null, Action<ISiloBuilder>? configureSilo = null)
    {
        // Durable mode outside Development refuses to run without credentials; these tests are not about that.
        List<string> args = connectionString is null ? [] : ["--Security:AllowAnonymous=true"];
        args.AddRange(extraArgs ?? []);
        var host = await LoopbackHost.StartAsync(new LoopbackHostOptions
        {
            ConnectionString = connectionString,
            ClusterId = clusterId,
            Args = args,
            ConfigureSilo = configureSilo,
        });
        return new HostInstance(host);
    }

    public Task<HttpResponseMessage> PostAsync(string source, byte[] body, string contentType = "application/json", params (string Name, string Value)[] headers) =>
        _host.PostWebhookAsync(source, body, headers, contentType);

    /// <summary>Graceful stop: the silo leaves the cluster.</summary>
    public Task StopAsync() => _host.StopAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
