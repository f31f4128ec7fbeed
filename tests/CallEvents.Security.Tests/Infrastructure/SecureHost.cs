using System.Net.Http.Headers;
using CallEvents.TestSupport;
using Microsoft.AspNetCore.Builder;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>
/// One real host (silo + Kestrel) in this process on free loopback ports (the shared <see cref="LoopbackHost"/>),
/// reached over real HTTP, with helpers for credentials.
/// </summary>
public sealed class SecureHost : IAsyncDisposable
{
    private readonly LoopbackHost _host;

    private SecureHost(LoopbackHost host) => _host = host;

    public Uri BaseAddress => _host.BaseAddress;

    public HttpClient Http => _host.Http;

    public IServiceProvider Services => _host.Services;

    /// <summary>Builds the host (does not start it): embedded mode unless <paramref name="connectionString"/> is set.</summary>
    public static WebApplication Build(IEnumerable<string> args, string? connectionString = null, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null) =>
        LoopbackHost.Build(Options(args, connectionString, configure, configureSilo));

    public static async Task<SecureHost> StartAsync(IEnumerable<string> args, string? connectionString = null, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null, Action<SocketsHttpHandler>? configureHttp = null) =>
        new(await LoopbackHost.StartAsync(Options(args, connectionString, configure, configureSilo) with { ConfigureHttp = configureHttp }));

    public Task<HttpResponseMessage> PostAsync(string source, byte[] body, IEnumerable<(string Name, string Value)> headers, string contentType = "application/json") =>
        _host.PostWebhookAsync(source, body, headers, contentType);

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

    public Task StopAsync() => _host.StopAsync();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static LoopbackHostOptions Options(IEnumerable<string> args, string? connectionString, Action<WebApplicationBuilder>? configure, Action<ISiloBuilder>? configureSilo) => new()
    {
        ConnectionString = connectionString,
        ClusterId = $"security-{Guid.NewGuid():N}",
        Args = ["--Logging:LogLevel:Polly=Error", .. args],
        Configure = configure,
        ConfigureSilo = configureSilo,
    };
}
