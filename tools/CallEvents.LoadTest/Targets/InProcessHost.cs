using CallEvents.FollowUps;
using CallEvents.Hosting;
using CallEvents.LoadTest.Verification;
using CallEvents.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CallEvents.LoadTest.Targets;

/// <summary>
/// The real host (<c>CallEventHost.Build</c>: silo + Kestrel) started inside this process on free loopback ports:
/// embedded in-memory mode, or PostgreSQL mode with a connection string. <see cref="TallyFollowUpGrain"/> is
/// registered on its silo (what a user's follow-up would be), so the verdict can count follow-up decisions.
/// </summary>
public sealed class InProcessHost : IAsyncDisposable
{
    /// <summary>
    /// Settings a load test needs on top of the defaults: anonymous webhooks (a durable host otherwise refuses to
    /// start without credentials) and a rate limit far above the offered load (the default, 200/s per source,
    /// would turn a load test into a 429 test).
    /// </summary>
    public static readonly IReadOnlyList<string> LoadTestArgs =
    [
        "--Security:AllowAnonymous=true",
        "--Security:RateLimit:PermitsPerSecond=1000000",
        "--Security:RateLimit:Burst=10000000",
    ];

    private readonly WebApplication _app;

    private InProcessHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessHost> StartAsync(string? connectionString, IEnumerable<string>? extraArgs = null)
    {
        var id = "load-" + Guid.NewGuid().ToString("N")[..8];
        List<string> args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--Orleans:SiloPort={FreePort.Get()}",
            $"--Orleans:GatewayPort={FreePort.Get()}",
            $"--Orleans:ClusterId={id}",
            $"--Orleans:ServiceId={id}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Orleans=Error",
            "--Logging:LogLevel:Microsoft.AspNetCore=Error",
            .. LoadTestArgs,
        ];
        if (connectionString is not null)
        {
            args.Add($"--ConnectionStrings:Orleans={connectionString}");
        }

        args.AddRange(extraArgs ?? []);
        var app = CallEventHost.Build([.. args], configureSilo: silo => silo.AddFollowUpGrain<TallyFollowUpGrain>());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The host did not stop in time; dispose anyway.
        }

        await _app.DisposeAsync();
    }
}
