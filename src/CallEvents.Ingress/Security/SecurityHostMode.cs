using Microsoft.Extensions.Hosting;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Whether the host counts as a development host for security defaults: one that may run open (with a loud
/// warning) when no credentials are configured. A production host refuses to start without credentials unless
/// <c>Security:AllowAnonymous</c> is true.
/// </summary>
/// <param name="IsDevelopment">True for a development host.</param>
/// <param name="Description">Why, for the startup log.</param>
public sealed record SecurityHostMode(bool IsDevelopment, string Description)
{
    /// <summary>
    /// The Development environment, or a host without durable storage (the embedded, in-memory default, which is
    /// for trying the service out), is a development host; anything else is a production host.
    /// </summary>
    public static SecurityHostMode For(IHostEnvironment environment, bool durableStorage)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.IsDevelopment())
        {
            return new(true, $"the {environment.EnvironmentName} environment");
        }

        return durableStorage
            ? new(false, $"the {environment.EnvironmentName} environment with durable storage")
            : new(true, "embedded mode (in-memory state, not durable)");
    }
}
