using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CallEvents;

/// <summary>
/// Provider, storage and stream names shared by the host, the grains and user code.
/// One place, so a rename cannot leave a registration and its consumer disagreeing.
/// </summary>
public static class Names
{
    /// <summary>The grain storage every call-event grain persists into.</summary>
    public const string GrainStorage = "callevents";

    /// <summary>The stream provider that carries lifecycle emissions.</summary>
    public const string StreamProvider = "callevents-streams";
}

/// <summary>The event sources (webhook providers) the service understands.</summary>
public static class EventSources
{
    /// <summary>Verbex voice AI.</summary>
    public const string Verbex = "verbex";

    /// <summary>SubVerse AI.</summary>
    public const string SubVerse = "subverse";

    /// <summary>Every known source, lower case, as used in grain keys and URLs.</summary>
    public static IReadOnlyList<string> All { get; } = [Verbex, SubVerse];

    /// <summary>Whether <paramref name="source"/> names a known source (case-sensitive, lower case).</summary>
    public static bool IsKnown(string? source) => source is Verbex or SubVerse;
}

/// <summary>Builds and splits grain keys.</summary>
public static class GrainKeys
{
    /// <summary>The call grain key: <c>{source}/{callId}</c>, because two providers may reuse an id.</summary>
    public static string Call(string source, string callId) => $"{source}/{callId}";

    /// <summary>The workflow execution grain key: <c>{source}/{executionId}</c>.</summary>
    public static string Workflow(string source, string executionId) => $"{source}/{executionId}";

    /// <summary>Splits a <c>{source}/{id}</c> key; the id may itself contain slashes.</summary>
    public static (string Source, string Id) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (string.Empty, key) : (key[..slash], key[(slash + 1)..]);
    }
}

/// <summary>
/// The service's clock: a keyed <see cref="TimeProvider"/> (<see cref="Key"/>) for everything the service itself times
/// (receive times, deadlines, due times, retention, signatures, outages). It is kept apart from the unkeyed
/// <see cref="TimeProvider"/>, which Orleans uses for its own timers and messaging: a test can replace this clock with
/// a fake one and drive deadlines without stopping the silo's clock.
/// </summary>
public static class CallEventClock
{
    /// <summary>The service key of the clock.</summary>
    public const string Key = "callevents-clock";

    /// <summary>Registers the system clock under <see cref="Key"/> unless a clock is registered already.</summary>
    public static IServiceCollection AddCallEventClock(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton(Key, TimeProvider.System);
        return services;
    }
}
