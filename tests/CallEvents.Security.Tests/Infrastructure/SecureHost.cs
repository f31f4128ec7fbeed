using System.Net.Http.Headers;
using CallEvents.Hosting;
using CallEvents.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>One real host (silo + Kestrel) in this process on free loopback ports, reached over real HTTP.</summary>
public sealed class SecureHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private SecureHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Builds the host (does not start it): embedded mode unless <paramref name="connectionString"/> is set.</summary>
    public static WebApplication Build(IEnumerable<string> args, string? connectionString = null, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        List<string> all =
        [
            "--urls", "http://127.0.0.1:0",
            $"--Orleans:SiloPort={FreePort.Get()}",
            $"--Orleans:GatewayPort={FreePort.Get()}",
            $"--Orleans:ClusterId=security-{Guid.NewGuid():N}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Orleans=Error",
            "--Logging:LogLevel:Polly=Error",
        ];
        if (connectionString is not null)
        {
            all.Add($"--ConnectionStrings:Orleans={connectionString}");
        }

        all.AddRange(args);
        return CallEventHost.Build([.. all], configure, configureSilo);
    }

    public static async Task<SecureHost> StartAsync(IEnumerable<string> args, string? connectionString = null, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        var app = Build(args, connectionString, configure, configureSilo);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SecureHost(app, new Uri(address));
    }

    public Task<HttpResponseMessage> PostAsync(string source, byte[] body, IEnumerable<(string Name, string Value)> headers, string contentType = "application/json")
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

    public Task<HttpResponseMessage> GetAsync(string path, string? operatorKey) => SendAsync(HttpMethod.Get, path, operatorKey);

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? operatorKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (operatorKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
        }

        return Http.SendAsync(request);
    }

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
