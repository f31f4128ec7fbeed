using System.Net.Http.Headers;
using CallEvents.Hosting;
using CallEvents.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// One real host (silo + Kestrel) in this process, on free loopback ports, reached over real HTTP.
/// Several instances with one connection string and cluster id form one PostgreSQL-clustered cluster.
/// </summary>
public sealed class HostInstance : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private HostInstance(WebApplication app, Uri baseAddress, int gatewayPort)
    {
        _app = app;
        BaseAddress = baseAddress;
        GatewayPort = gatewayPort;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    /// <summary>The silo's client gateway port, for external <see cref="IClusterClient"/>s.</summary>
    public int GatewayPort { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<HostInstance> StartAsync(string? connectionString, string clusterId, IEnumerable<string>? extraArgs = null, Action<ISiloBuilder>? configureSilo = null)
    {
        var gatewayPort = FreePort.Get();
        List<string> args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--Orleans:SiloPort={FreePort.Get()}",
            $"--Orleans:GatewayPort={gatewayPort}",
            $"--Orleans:ClusterId={clusterId}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Orleans=Error",
        ];
        if (connectionString is not null)
        {
            args.Add($"--ConnectionStrings:Orleans={connectionString}");

            // Durable mode outside Development refuses to run without credentials; these tests are not about that.
            args.Add("--Security:AllowAnonymous=true");
        }

        args.AddRange(extraArgs ?? []);
        var app = CallEventHost.Build([.. args], configureSilo: configureSilo);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new HostInstance(app, new Uri(address), gatewayPort);
    }

    public Task<HttpResponseMessage> PostAsync(string source, byte[] body, string contentType = "application/json", params (string Name, string Value)[] headers)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{source}") { Content = content };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Http.SendAsync(request);
    }

    /// <summary>Graceful stop: the silo leaves the cluster.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
    }
}
