using Microsoft.Extensions.Hosting;

namespace CallEvents.FollowUps.Callbacks;

/// <summary>
/// Whether callback targets are restricted on this host. Restricted (a production host): a callback URL must be
/// <c>https://</c> and may not reach a loopback, link-local or private address, unless its rule (or, for
/// <c>DefaultUrl</c>, the <c>DefaultUrlAllow…</c> flags) allows it explicitly. Unrestricted (a development host):
/// anything goes, so local receivers on <c>http://127.0.0.1</c> work without flags.
/// </summary>
/// <param name="Restricted">True on a production host.</param>
/// <param name="Description">Which host this is, for messages.</param>
public sealed record CallbackTargetPolicy(bool Restricted, string Description)
{
    /// <summary>A development host's policy: no restriction.</summary>
    public static CallbackTargetPolicy Unrestricted { get; } = new(false, "a development host");

    /// <summary>
    /// The same rule as the webhook security's: the Development environment, or a host without durable storage (the
    /// embedded, in-memory default, which is for trying the service out), is a development host; anything else is a
    /// production host and restricts its callback targets.
    /// </summary>
    /// <param name="environment">The host environment.</param>
    /// <param name="durableStorage">Whether grain state is durable (PostgreSQL mode).</param>
    public static CallbackTargetPolicy For(IHostEnvironment environment, bool durableStorage)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.IsDevelopment())
        {
            return new(false, $"the {environment.EnvironmentName} environment");
        }

        return durableStorage
            ? new(true, $"a production host: the {environment.EnvironmentName} environment with durable storage")
            : new(false, "embedded mode (in-memory state, not durable)");
    }
}
