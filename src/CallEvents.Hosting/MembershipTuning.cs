using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace CallEvents.Hosting;

/// <summary>
/// How fast the cluster notices a dead silo (configuration section <c>Membership</c>). Until a dead silo is declared
/// dead, calls to the grains it hosted fail (the directory still names it); after it, those grains are activated on a
/// live silo at the next call. Orleans' own defaults take 15-30 s for that on a quiet cluster; these take about two
/// seconds (a probe every <see cref="ProbeTimeout"/>, dead after <see cref="NumMissedProbesLimit"/> missed ones and
/// <see cref="NumVotesForDeathDeclaration"/> votes). The price: a silo that stalls longer than
/// ProbeTimeout × NumMissedProbesLimit (a long GC pause, a starved CPU) is declared dead too and must restart; raise
/// the two on a loaded or oversubscribed machine.
/// </summary>
public sealed class MembershipTuningOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Membership";

    /// <summary>Leave every membership and messaging setting at Orleans' defaults (this class then changes nothing).</summary>
    public bool UseOrleansDefaults { get; set; }

    /// <summary>How often each silo probes the others, and how long a probe may take (Orleans: 5 s).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Missed probes in a row before a silo suspects another (Orleans: 3).</summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>Suspicions needed to declare a silo dead; fewer silos than this: all of the others (Orleans: 2).</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long a suspicion counts towards a death declaration (Orleans: 2 min).</summary>
    public TimeSpan DeathVoteExpirationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a silo writes its "I am alive" time to the membership table (Orleans: 30 s).</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a silo re-reads the membership table besides gossip (Orleans: 60 s).</summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause before connecting again to a silo whose connection failed (Orleans: 1 s).</summary>
    public TimeSpan ConnectionRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a grain call waits for its answer (Orleans: 30 s); the HTTP surface's own deadline is shorter.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The time from a silo's death to its death declaration, at most (probes only; gossip spreads it).</summary>
    public TimeSpan DetectionTime => ProbeTimeout * NumMissedProbesLimit;

    /// <summary>What is wrong with these settings, one line per key; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (UseOrleansDefaults)
        {
            return problems;
        }

        void Range(string key, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{key} must be between {min} and {max}, not {value}."));
            }
        }

        Range(nameof(ProbeTimeout), ProbeTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        Range(nameof(IAmAliveTablePublishTimeout), IAmAliveTablePublishTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(nameof(TableRefreshTimeout), TableRefreshTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(nameof(ConnectionRetryDelay), ConnectionRetryDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Range(nameof(ResponseTimeout), ResponseTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        if (NumMissedProbesLimit is < 1 or > 10)
        {
            problems.Add($"{Section}:{nameof(NumMissedProbesLimit)} must be between 1 and 10, not {NumMissedProbesLimit}.");
        }

        if (NumVotesForDeathDeclaration is < 1 or > 10)
        {
            problems.Add($"{Section}:{nameof(NumVotesForDeathDeclaration)} must be between 1 and 10, not {NumVotesForDeathDeclaration}.");
        }

        if (DeathVoteExpirationTimeout <= DetectionTime)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{nameof(DeathVoteExpirationTimeout)} must be longer than ProbeTimeout x NumMissedProbesLimit ({DetectionTime}), or no vote lives long enough to count, not {DeathVoteExpirationTimeout}."));
        }

        return problems;
    }
}

/// <summary>Applies <see cref="MembershipTuningOptions"/> to Orleans' membership, connection and messaging options.</summary>
public static class MembershipTuningExtensions
{
    /// <summary>
    /// Binds the <c>Membership</c> section (validated when the host starts) and applies it to
    /// <see cref="ClusterMembershipOptions"/>, <see cref="ConnectionOptions"/> and <see cref="SiloMessagingOptions"/>,
    /// unless <c>Membership:UseOrleansDefaults</c> is true.
    /// </summary>
    /// <param name="silo">The silo builder.</param>
    /// <returns>The silo builder.</returns>
    public static ISiloBuilder UseCallEventMembershipTuning(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddOptions<MembershipTuningOptions>()
            .BindConfiguration(MembershipTuningOptions.Section)
            .ValidateOnStart();
        silo.Services.AddSingleton<IValidateOptions<MembershipTuningOptions>, MembershipTuningValidator>();
        silo.Services.AddOptions<ClusterMembershipOptions>().Configure<IOptions<MembershipTuningOptions>>((o, tuning) =>
        {
            var t = tuning.Value;
            if (t.UseOrleansDefaults)
            {
                return;
            }

            o.ProbeTimeout = t.ProbeTimeout;
            o.NumMissedProbesLimit = t.NumMissedProbesLimit;
            o.NumVotesForDeathDeclaration = t.NumVotesForDeathDeclaration;
            o.DeathVoteExpirationTimeout = t.DeathVoteExpirationTimeout;
            o.IAmAliveTablePublishTimeout = t.IAmAliveTablePublishTimeout;
            o.TableRefreshTimeout = t.TableRefreshTimeout;
        });
        silo.Services.AddOptions<ConnectionOptions>().Configure<IOptions<MembershipTuningOptions>>((o, tuning) =>
        {
            if (!tuning.Value.UseOrleansDefaults)
            {
                o.ConnectionRetryDelay = tuning.Value.ConnectionRetryDelay;
            }
        });
        silo.Services.AddOptions<SiloMessagingOptions>().Configure<IOptions<MembershipTuningOptions>>((o, tuning) =>
        {
            if (!tuning.Value.UseOrleansDefaults)
            {
                o.ResponseTimeout = tuning.Value.ResponseTimeout;
            }
        });
        return silo;
    }

    /// <summary>Names each key at fault.</summary>
    private sealed class MembershipTuningValidator : IValidateOptions<MembershipTuningOptions>
    {
        public ValidateOptionsResult Validate(string? name, MembershipTuningOptions options) =>
            options.Problems() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
