using CallEvents.FollowUps;
using CallEvents.LoadTest.Verification;
using CallEvents.TestSupport;

namespace CallEvents.LoadTest.Targets;

/// <summary>
/// The real host (<c>CallEventHost.Build</c>: silo + Kestrel) started inside this process on free loopback ports
/// (TestSupport's <see cref="LoopbackHost"/>): embedded in-memory mode, or PostgreSQL mode with a connection string.
/// <see cref="TallyFollowUpGrain"/> is registered on its silo (what a user's follow-up would be), so the verdict can
/// count follow-up decisions.
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

    private readonly LoopbackHost _host;

    private InProcessHost(LoopbackHost host) => _host = host;

    public Uri BaseAddress => _host.BaseAddress;

    public IServiceProvider Services => _host.Services;

    public static async Task<InProcessHost> StartAsync(string? connectionString, IEnumerable<string>? extraArgs = null)
    {
        var id = "load-" + Guid.NewGuid().ToString("N")[..8];
        var host = await LoopbackHost.StartAsync(new LoopbackHostOptions
        {
            ConnectionString = connectionString,
            ClusterId = id,
            ServiceId = id,
            Args = ["--Logging:LogLevel:Microsoft.AspNetCore=Error", .. LoadTestArgs, .. extraArgs ?? []],
            ConfigureSilo = silo => silo.AddFollowUpGrain<TallyFollowUpGrain>(),
        });
        return new InProcessHost(host);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
