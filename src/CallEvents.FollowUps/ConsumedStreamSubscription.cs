using Orleans.Streams;

namespace CallEvents.FollowUps;

/// <summary>
/// An implicit stream subscription that holds only while this deployment has the grain consume the namespace
/// (<see cref="FollowUpRegistry"/>, e.g. the built-in callbacks only for namespaces some callback rule listens on).
/// A plain <c>[ImplicitStreamSubscription]</c> activates the grain for every emission, consumed or not; this one keeps
/// an unconfigured follow-up out of the emission path entirely. The grain stays hosted, so actions it scheduled under
/// earlier settings still run when due.
/// </summary>
/// <param name="streamNamespace">The namespace.</param>
/// <param name="grainClass">The grain class the attribute is on.</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class ConsumedStreamSubscriptionAttribute(string streamNamespace, Type grainClass)
    : ImplicitStreamSubscriptionAttribute(new ConsumedNamespacePredicate(streamNamespace, grainClass?.FullName ?? throw new ArgumentNullException(nameof(grainClass)), registry: null));

/// <summary>
/// Matches one namespace, and, once it knows the deployment's registry (as recreated on each silo by
/// <see cref="ConsumedNamespacePredicateProvider"/>), only while the grain class consumes it.
/// </summary>
internal sealed class ConsumedNamespacePredicate(string streamNamespace, string grainClass, FollowUpRegistry? registry) : IStreamNamespacePredicate
{
    public const string Prefix = "callevents-consumed";

    public string PredicatePattern => $"{Prefix}:{streamNamespace}:{grainClass}";

    // Without a registry (the attribute itself, read when the grain is registered) it tells which namespace it is for.
    public bool IsMatch(string candidate) =>
        string.Equals(candidate, streamNamespace, StringComparison.Ordinal)
        && (registry is null || registry.ConsumersOf(candidate).Contains(grainClass));

    public static bool TryParse(string pattern, out string streamNamespace, out string grainClass)
    {
        streamNamespace = grainClass = string.Empty;
        if (!pattern.StartsWith(Prefix + ":", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = pattern[(Prefix.Length + 1)..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        streamNamespace = rest[..colon];
        grainClass = rest[(colon + 1)..];
        return grainClass.Length > 0;
    }
}

/// <summary>Recreates <see cref="ConsumedNamespacePredicate"/>s on each silo, bound to the deployment's registry.</summary>
internal sealed class ConsumedNamespacePredicateProvider(FollowUpRegistry registry) : IStreamNamespacePredicateProvider
{
    public bool TryGetPredicate(string predicatePattern, out IStreamNamespacePredicate predicate)
    {
        if (ConsumedNamespacePredicate.TryParse(predicatePattern, out var streamNamespace, out var grainClass))
        {
            predicate = new ConsumedNamespacePredicate(streamNamespace, grainClass, registry);
            return true;
        }

        predicate = null!;
        return false;
    }
}
