using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallEvents.Ingress.Security;

/// <summary>Says at startup, per surface, whether it enforces credentials, runs open (loudly) or refuses everything.</summary>
internal sealed class SecurityStartupReport(SecurityPolicy policy, ILogger<SecurityStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var why = policy.Options.AllowAnonymous
            ? "Security:AllowAnonymous=true"
            : $"no credentials are configured on a development host: {policy.Mode.Description}";
        foreach (var source in policy.Sources)
        {
            switch (source.Access)
            {
                case SurfaceAccess.Open:
                    SecurityMessages.SourceOpen(logger, source.Source, why);
                    break;
                case SurfaceAccess.Closed:
                    SecurityMessages.SourceClosed(logger, source.Source);
                    break;
                default:
                    var bound = source.Headers.Count(h => h.OrganizationId is not null) + source.SigningKeys.Count(k => k.OrganizationId is not null);
                    SecurityMessages.SourceEnforced(logger, source.Source, source.Headers.Count, source.SigningKeys.Count, bound);
                    break;
            }
        }

        switch (policy.OperatorAccess)
        {
            case SurfaceAccess.Open:
                SecurityMessages.OperatorOpen(logger, why);
                break;
            case SurfaceAccess.Closed:
                SecurityMessages.OperatorClosed(logger);
                break;
            default:
                var boundKeys = policy.OperatorKeys.Count(k => k.OrganizationId is not null);
                SecurityMessages.OperatorEnforced(logger, policy.OperatorKeys.Count, boundKeys);
                break;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
