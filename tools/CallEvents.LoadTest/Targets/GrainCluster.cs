using System.Net;
using CallEvents.FollowUps;
using CallEvents.Hosting;
using CallEvents.LoadTest.Verification;
using CallEvents.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansSiloOptions = Orleans.Configuration.SiloOptions;

namespace CallEvents.LoadTest.Targets;

/// <summary>
/// N real silos in this process, each its own host on free loopback ports, composed as the service's silo is
/// (<see cref="CallEventSiloBuilderExtensions.AddCallEventSilo"/>: memory grain storage and reminders, or PostgreSQL
/// durability) plus <see cref="TallyFollowUpGrain"/>, so the verdict can count follow-up decisions. Memory mode
/// clusters them through the first silo (localhost clustering with a primary silo endpoint, never killed); PostgreSQL
/// mode through the database.
/// </summary>
public sealed class GrainCluster : IAsyncDisposable, IFaultInjector
{
    private const int StartAttempts = 3;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly string? _postgresConnectionString;
    private readonly IReadOnlyDictionary<string, string?>? _settings;
    private readonly string _clusterId = "load-" + Guid.NewGuid().ToString("N")[..8];
    private readonly Lock _gate = new();
    private readonly List<Silo> _silos = [];
    private IReadOnlyList<IGrainFactory> _factories = [];
    private IPEndPoint? _primary;
    private int _started;

    private GrainCluster(string? postgresConnectionString, IReadOnlyDictionary<string, string?>? settings)
    {
        _postgresConnectionString = postgresConnectionString;
        _settings = settings;
    }

    public int SiloCount
    {
        get
        {
            lock (_gate)
            {
                return _silos.Count;
            }
        }
    }

    /// <summary>The grain factories of the live silos (a killed silo leaves the rotation before it dies).</summary>
    public IReadOnlyList<IGrainFactory> Factories
    {
        get
        {
            lock (_gate)
            {
                return _factories;
            }
        }
    }

    /// <summary>The serializer grain storage uses (for measuring state sizes).</summary>
    public Serializer Serializer
    {
        get
        {
            lock (_gate)
            {
                return _silos[0].SiloHost.Services.GetRequiredService<Serializer>();
            }
        }
    }

    /// <param name="silos">Silos to start.</param>
    /// <param name="postgresConnectionString">PostgreSQL for membership, state and reminders; null: memory, as the embedded host.</param>
    /// <param name="settings">Configuration for the silos (e.g. <c>Lifecycle:RepublishAfter</c>), as a host's <c>--Section:Key=value</c>.</param>
    public static async Task<GrainCluster> StartAsync(int silos, string? postgresConnectionString, IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silos, 1);
        var cluster = new GrainCluster(postgresConnectionString, settings);
        try
        {
            // The primary first: in memory mode the others join through the membership table it holds.
            cluster.Add(await cluster.StartSiloAsync());
            var others = Enumerable.Range(1, silos - 1).Select(_ => cluster.StartSiloAsync()).ToList();
            try
            {
                await Task.WhenAll(others);
            }
            finally
            {
                // Those that started are stopped with the cluster, also when another one failed.
                foreach (var started in others.Where(t => t.IsCompletedSuccessfully))
                {
                    cluster.Add(started.Result);
                }
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public async Task<string> KillAndReplaceAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Silo victim;
        lock (_gate)
        {
            victim = _silos.Skip(1).LastOrDefault()
                ?? throw new InvalidOperationException("--kill-silo-at needs at least 2 silos (the primary silo is never killed).");

            // Like a load balancer whose health check failed: no new deliveries through the victim.
            _silos.Remove(victim);
            Refresh();
        }

        await victim.KillAsync();
        var replacement = await StartSiloAsync();
        Add(replacement);
        return $"killed silo {victim.Name}; started {replacement.Name}";
    }

    public async ValueTask DisposeAsync()
    {
        List<Silo> silos;
        lock (_gate)
        {
            silos = [.. _silos];
            _silos.Clear();
            Refresh();
        }

        // The others first: in memory mode, they leave the cluster through the primary's membership table.
        await Task.WhenAll(silos.Skip(1).Select(s => s.StopAsync()));
        if (silos.Count > 0)
        {
            await silos[0].StopAsync();
        }
    }

    private void Add(Silo silo)
    {
        lock (_gate)
        {
            _silos.Add(silo);
            Refresh();
        }
    }

    private void Refresh() => _factories = [.. _silos.Select(s => s.SiloHost.Services.GetRequiredService<IGrainFactory>())];

    private async Task<Silo> StartSiloAsync()
    {
        var mode = HostMode.StorageFor(_postgresConnectionString);
        for (var attempt = 1; ; attempt++)
        {
            var name = $"silo-{Interlocked.Increment(ref _started) - 1}";
            var options = new SiloOptions
            {
                ClusterId = _clusterId,
                ServiceId = _clusterId,
                SiloPort = FreePort.Get(),
                GatewayPort = FreePort.Get(),
                AdvertisedAddress = IPAddress.Loopback.ToString(),
            };

            // No default configuration sources or logging providers: the silos read only the tool's settings and
            // stay silent, so the operator sees the tool's progress, not Orleans' logs.
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = name });
            if (_settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(_settings);
            }

            var primary = _primary;
            builder.UseOrleans(silo =>
            {
                silo.AddCallEventSilo(_postgresConnectionString);
                silo.UseCallEventClustering(options, mode, primary);
                silo.Configure<OrleansSiloOptions>(o => o.SiloName = name);

                silo.AddFollowUpGrain<TallyFollowUpGrain>();
            });

            var host = builder.Build();
            try
            {
                await host.StartAsync();
            }
            catch (Exception ex) when (attempt < StartAttempts && FreePort.WasTaken(ex))
            {
                // Another process took a port between FreePort.Get() and the silo's bind; pick others.
                await ReleaseAsync(host);
                continue;
            }
            catch
            {
                await ReleaseAsync(host);
                throw;
            }

            _primary ??= new IPEndPoint(IPAddress.Loopback, options.SiloPort);
            return new Silo(name, host);
        }
    }


    // Some of a silo's services can only be disposed asynchronously.
    private static async Task ReleaseAsync(IHost host)
    {
        if (host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }

    private sealed record Silo(string Name, IHost SiloHost)
    {
        /// <summary>A crash: the silo stops without leaving the cluster, and the others find out by probing it.</summary>
        public async Task KillAsync()
        {
            using var now = new CancellationTokenSource();
            await now.CancelAsync();
            try
            {
                await SiloHost.StopAsync(now.Token);
            }
            catch (OperationCanceledException)
            {
                // Expected: nothing was given time to finish.
            }
            finally
            {
                await ReleaseAsync(SiloHost);
            }
        }

        /// <summary>A graceful stop: the silo leaves the cluster.</summary>
        public async Task StopAsync()
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await SiloHost.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // It did not stop in time; disposing ends it anyway.
            }
            finally
            {
                await ReleaseAsync(SiloHost);
            }
        }
    }
}
