using System.Collections.Immutable;

namespace CallEvents;

/// <summary>
/// Which follow-up grain classes consume which lifecycle namespaces. Producers wait for a confirmation from each
/// registered consumer before they stop republishing; the HTTP API lists follow-ups across them. Filled by
/// <c>AddFollowUpGrain&lt;T&gt;()</c> from the grain's <c>[ImplicitStreamSubscription]</c> attributes.
/// </summary>
public sealed class FollowUpRegistry
{
    private ImmutableDictionary<string, ImmutableSortedSet<string>> _byNamespace = ImmutableDictionary<string, ImmutableSortedSet<string>>.Empty;
    private ImmutableHashSet<string> _registered = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// Records that <paramref name="grainClass"/> (its full name) is a follow-up grain of this deployment, whether or
    /// not it consumes any namespace here: the silo hosts registered follow-up grains only.
    /// </summary>
    public void Register(string grainClass)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(grainClass);
        ImmutableInterlocked.Update(ref _registered, set => set.Add(grainClass));
    }

    /// <summary>Every registered follow-up grain class (full names), consuming or not.</summary>
    public IReadOnlySet<string> Registered => _registered;

    /// <summary>Whether <paramref name="grainClass"/> (its full name) was registered or added as a consumer.</summary>
    public bool IsRegistered(string grainClass) => _registered.Contains(grainClass);

    /// <summary>Registers <paramref name="grainClass"/> (its full name) as a consumer of <paramref name="streamNamespace"/>.</summary>
    public void Add(string streamNamespace, string grainClass)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamNamespace);
        ArgumentException.ThrowIfNullOrWhiteSpace(grainClass);
        Register(grainClass);
        ImmutableInterlocked.AddOrUpdate(
            ref _byNamespace,
            streamNamespace,
            _ => ImmutableSortedSet.Create(StringComparer.Ordinal, grainClass),
            (_, set) => set.Add(grainClass));
    }

    /// <summary>The consumers of a namespace (full grain class names), empty when none.</summary>
    public ImmutableSortedSet<string> ConsumersOf(string streamNamespace) =>
        _byNamespace.GetValueOrDefault(streamNamespace) ?? ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Every consumer of any of the given namespaces.</summary>
    public ImmutableSortedSet<string> ConsumersOfAny(IEnumerable<string> namespaces) =>
        namespaces.Aggregate(ImmutableSortedSet.Create<string>(StringComparer.Ordinal), (all, ns) => all.Union(ConsumersOf(ns)));
}
