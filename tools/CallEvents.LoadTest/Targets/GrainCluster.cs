using CallEvents.FollowUps;
using CallEvents.LoadTest.Verification;
using CallEvents.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Runtime.Hosting;
using Orleans.TestingHost;

namespace CallEvents.LoadTest.Targets;

/// <summary>Profiling experiments that replace Orleans' in-memory providers (grain mode, memory storage only).</summary>
public sealed record ProfilingSwitches(bool NullStorage = false, bool LocalReminders = false)
{
    public string Describe() => (NullStorage, LocalReminders) switch
    {
        (false, false) => string.Empty,
        _ => $" [profiling: {string.Join(", ", new[] { NullStorage ? "no-op storage" : null, LocalReminders ? "dictionary reminder table" : null }.OfType<string>())}]",
    };
}

/// <summary>
/// An N-silo in-process Orleans cluster (TestingHost) with the call-event grains registered as the host does:
/// memory grain storage and reminders, or PostgreSQL durability (state and reminders; membership stays the
/// test cluster's in-memory table), plus <see cref="TallyFollowUpGrain"/> so the verdict can count follow-up decisions.
/// </summary>
public sealed class GrainCluster : IAsyncDisposable, IFaultInjector
{
    private readonly InProcessTestCluster _cluster;
    private readonly Lock _gate = new();
    private IReadOnlyList<IGrainFactory> _factories = [];

    private GrainCluster(InProcessTestCluster cluster) => _cluster = cluster;

    public int SiloCount => _cluster.Silos.Count;

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
    public Serializer Serializer => _cluster.Silos[0].ServiceProvider.GetRequiredService<Serializer>();

    /// <param name="silos">Silos to start.</param>
    /// <param name="postgresConnectionString">PostgreSQL for state and reminders; null: memory, as the embedded host.</param>
    /// <param name="profiling">Profiling experiments: <c>storage=null</c>, <c>reminders=local</c> (never quoted as the service's figures).</param>
    /// <param name="settings">Configuration for the silos (e.g. <c>Lifecycle:RepublishAfter</c>), as a host's <c>--Section:Key=value</c>.</param>
    public static async Task<GrainCluster> StartAsync(int silos, string? postgresConnectionString, ProfilingSwitches? profiling = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        profiling ??= new ProfilingSwitches();
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.InitializeClientOnDeploy = false;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Logging.SetMinimumLevel(LogLevel.Warning);
            if (settings is not null)
            {
                host.Configuration.AddInMemoryCollection(settings);
            }
        });
        builder.ConfigureSilo((_, silo) =>
        {
            if (postgresConnectionString is null)
            {
                if (profiling.NullStorage)
                {
                    silo.Services.AddGrainStorage(Names.GrainStorage, (_, _) => new NullGrainStorage());
                }
                else
                {
                    silo.AddMemoryGrainStorage(Names.GrainStorage);
                }

                if (profiling.LocalReminders)
                {
                    silo.AddReminders();
                    silo.Services.AddSingleton<IReminderTable>(LocalReminderTable.Shared);
                }
                else
                {
                    silo.UseInMemoryReminderService();
                }
            }
            else
            {
                silo.UsePostgreSqlDurability(postgresConnectionString, Names.GrainStorage);
            }

            silo.AddCallEventProcessing();

            // As CallEventHost does: the built-in callback follow-ups (hosted, and activated by every emission even
            // without rules, so the load includes them); and the tally whose decisions the verdict counts.
            silo.AddCallbackFollowUps();
            silo.AddFollowUpGrain<TallyFollowUpGrain>();
        });
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        var wrapper = new GrainCluster(cluster);
        wrapper.Refresh();
        return wrapper;
    }

    public async Task<string> KillAndReplaceAsync(CancellationToken cancellationToken)
    {
        var victim = _cluster.Silos.Skip(1).LastOrDefault()
            ?? throw new InvalidOperationException("--kill-silo-at needs at least 2 silos (the primary silo is never killed).");
        lock (_gate)
        {
            // Like a load balancer whose health check failed: no new deliveries through the victim.
            var dying = victim.ServiceProvider.GetRequiredService<IGrainFactory>();
            _factories = [.. _factories.Where(f => !ReferenceEquals(f, dying))];
        }

        var name = victim.Name;
        await _cluster.KillSiloAsync(victim, cancellationToken);
        var replacement = await _cluster.StartAdditionalSiloAsync();
        Refresh();
        return $"killed silo {name}; started {replacement.Name}";
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    private void Refresh()
    {
        lock (_gate)
        {
            _factories = [.. _cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<IGrainFactory>())];
        }
    }
}
