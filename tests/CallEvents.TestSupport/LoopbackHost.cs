using System.Globalization;
using System.Net.Http.Headers;
using CallEvents.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.TestSupport;

/// <summary>What a <see cref="LoopbackHost"/> runs.</summary>
public sealed record LoopbackHostOptions
{
    /// <summary>PostgreSQL connection string (<c>ConnectionStrings:Orleans</c>); null: the embedded in-memory mode.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>
    /// Cluster id; null: a fresh one per host. Hosts started with the same connection string and cluster id form one
    /// PostgreSQL-clustered cluster.
    /// </summary>
    public string? ClusterId { get; init; }

    /// <summary>Service id (state and reminders are keyed by it); null: the host's default.</summary>
    public string? ServiceId { get; init; }

    /// <summary>More host arguments (<c>--Section:Key=value</c>), after the harness's own, so they win.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Passed to <see cref="CallEventHost.Build"/>: runs first on the web application builder.</summary>
    public Action<WebApplicationBuilder>? Configure { get; init; }

    /// <summary>Passed to <see cref="CallEventHost.Build"/>: runs last on the silo builder.</summary>
    public Action<ISiloBuilder>? ConfigureSilo { get; init; }

    /// <summary>
    /// Configures the handler of <see cref="LoopbackHost.Http"/>, e.g. to trust a test certificate when the host listens
    /// on <c>https://</c> (pass <c>--urls https://127.0.0.1:0</c> in <see cref="Args"/>).
    /// </summary>
    public Action<SocketsHttpHandler>? ConfigureHttp { get; init; }
}

/// <summary>
/// The real host (<see cref="CallEventHost.Build"/>: silo + Kestrel) in this process on free loopback ports, reached
/// over real HTTP. Started, it has answered a grain query and <c>GET /</c>, so the first request a caller sends does
/// not pay for the host's warm-up.
/// </summary>
public sealed class LoopbackHost : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private bool _stopped;

    private LoopbackHost(WebApplication app, Prepared prepared, Uri baseAddress, Action<SocketsHttpHandler>? configureHttp)
    {
        App = app;
        ClusterId = prepared.ClusterId;
        SiloPort = prepared.SiloPort;
        GatewayPort = prepared.GatewayPort;
        BaseAddress = baseAddress;
        var handler = new SocketsHttpHandler();
        configureHttp?.Invoke(handler);
        Http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The running application.</summary>
    public WebApplication App { get; }

    /// <summary>The host's services (the silo's too: they share one container).</summary>
    public IServiceProvider Services => App.Services;

    /// <summary>The (first) address Kestrel listens on (a port the operating system chose).</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client for <see cref="BaseAddress"/>.</summary>
    public HttpClient Http { get; }

    /// <summary>The cluster id the silo runs with.</summary>
    public string ClusterId { get; }

    /// <summary>The silo-to-silo port.</summary>
    public int SiloPort { get; }

    /// <summary>The client gateway port, for external cluster clients.</summary>
    public int GatewayPort { get; }

    /// <summary>
    /// Builds the host on free loopback ports without starting it: for tests about what happens at start-up.
    /// </summary>
    public static WebApplication Build(LoopbackHostOptions options) => Build(Prepare(options), options);

    /// <summary>Builds and starts the host, then waits until it answers.</summary>
    public static async Task<LoopbackHost> StartAsync(LoopbackHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        for (var attempt = 1; ; attempt++)
        {
            var prepared = Prepare(options);
            var app = Build(prepared, options);
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < StartAttempts && FreePort.WasTaken(ex))
            {
                // Another process took a port between FreePort.Get() and the silo's bind; pick others.
                await app.DisposeAsync().ConfigureAwait(false);
                continue;
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var host = new LoopbackHost(app, prepared, new Uri(address), options.ConfigureHttp);
            try
            {
                await host.WaitUntilReadyAsync().ConfigureAwait(false);
            }
            catch
            {
                await host.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return host;
        }
    }

    /// <summary>Posts a webhook delivery to <c>/webhooks/{source}</c>.</summary>
    public Task<HttpResponseMessage> PostWebhookAsync(string source, byte[] body, IEnumerable<(string Name, string Value)>? headers = null, string contentType = "application/json")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{source}") { Content = content };
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Http.SendAsync(request);
    }

    /// <summary>Graceful stop: the silo leaves the cluster. Later calls do nothing.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await App.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // It did not stop in time; disposing ends it anyway.
        }
    }

    /// <summary>Stops the host (if still running) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }

    private static Prepared Prepare(LoopbackHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Prepared(options.ClusterId ?? $"loopback-{Guid.NewGuid():N}", FreePort.Get(), FreePort.Get());
    }

    private static WebApplication Build(Prepared prepared, LoopbackHostOptions options)
    {
        List<string> args =
        [
            "--urls", "http://127.0.0.1:0",
            string.Create(CultureInfo.InvariantCulture, $"--Orleans:SiloPort={prepared.SiloPort}"),
            string.Create(CultureInfo.InvariantCulture, $"--Orleans:GatewayPort={prepared.GatewayPort}"),
            $"--Orleans:ClusterId={prepared.ClusterId}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Orleans=Error",

            // No pause between the stop signal and closing the listeners: tests stop hosts on purpose and often.
            "--Shutdown:DrainDelay=00:00:00",
        ];
        if (options.ServiceId is not null)
        {
            args.Add($"--Orleans:ServiceId={options.ServiceId}");
        }

        if (options.ConnectionString is not null)
        {
            args.Add($"--ConnectionStrings:{CallEventHost.ConnectionStringName}={options.ConnectionString}");
        }

        args.AddRange(options.Args);
        return CallEventHost.Build([.. args], options.Configure, options.ConfigureSilo);
    }

    private async Task WaitUntilReadyAsync()
    {
        // Start-up ends with the silo active, but the first grain calls still pay for activation, storage and JIT,
        // which tests with a one-second ingress deadline would see as 503s. A query stores nothing.
        var grains = Services.GetRequiredService<IGrainFactory>();
        var probe = $"loopback-ready-{Guid.NewGuid():N}";
        await Wait.UntilAsync(
            async () =>
            {
                await grains.GetGrain<ICallGrain>(GrainKeys.Call(EventSources.Verbex, probe)).GetSnapshotAsync().ConfigureAwait(false);
                await grains.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(EventSources.SubVerse, probe)).GetSnapshotAsync().ConfigureAwait(false);
                using var response = await Http.GetAsync(new Uri("/", UriKind.Relative)).ConfigureAwait(false);
                return response.IsSuccessStatusCode;
            },
            ReadyTimeout,
            "the host to answer a grain query and GET /").ConfigureAwait(false);
    }

    private sealed record Prepared(string ClusterId, int SiloPort, int GatewayPort);
}
