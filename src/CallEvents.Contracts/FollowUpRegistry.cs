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

    /// <summary>Registers <paramref name="grainClass"/> (its full name) as a consumer of <paramref name="streamNamespace"/>.</summary>
    public void Add(string streamNamespace, string grainClass)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamNamespace);
        ArgumentException.ThrowIfNullOrWhiteSpace(grainClass);
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
