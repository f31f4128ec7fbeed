using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.FollowUps.Callbacks;

/// <summary>
/// At startup, on a production host, resolves the DNS names of the configured callback targets once and warns about
/// those that resolve to a non-public address now. Only a warning, in the background: startup must not depend on DNS,
/// and the answer may differ at send time anyway, where <see cref="CallbackTargetGuard"/> decides. This tells the
/// operator early which rule will fail, instead of at its first callback.
/// </summary>
internal sealed partial class CallbackTargetCheck(
    IOptions<CallbackOptions> options,
    CallbackTargetPolicy policy,
    ICallbackAddressResolver resolver,
    ILogger<CallbackTargetCheck> logger) : BackgroundService
{
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!policy.Restricted)
        {
            return;
        }

        var current = options.Value;
        var targets = new List<(string Url, CallbackTargetAccess Access)>();
        if (current.DefaultUrl is not null)
        {
            targets.Add((current.DefaultUrl, current.AccessOfDefault()));
        }

        targets.AddRange(current.Rules.Where(r => r.Url is not null).Select(r => (r.Url!, current.AccessFor(r.Name, r.Url))));
        foreach (var (url, access) in targets.Where(t => !t.Access.AllowPrivateNetwork))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.HostNameType != UriHostNameType.Dns || CallbackTargets.IsLocalhostName(uri.IdnHost))
            {
                // IP literals and localhost names were judged by the options validation already.
                continue;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(LookupTimeout);
            try
            {
                var addresses = await resolver.ResolveAsync(uri.IdnHost, timeout.Token);
                if (addresses.Length > 0 && addresses.All(a => CallbackTargets.NonPublicKind(a) is not null))
                {
                    NonPublicTarget(logger, access.UrlKey, uri.IdnHost, addresses[0].ToString(), CallbackTargets.NonPublicKind(addresses[0])!, access.AllowPrivateNetworkKey);
                }
                else if (addresses.FirstOrDefault(a => CallbackTargets.NonPublicKind(a) is not null) is { } some)
                {
                    PartlyNonPublicTarget(logger, access.UrlKey, uri.IdnHost, some.ToString(), CallbackTargets.NonPublicKind(some)!);
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                Unresolved(logger, access.UrlKey, uri.IdnHost, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "{Key} names {Host}, which resolves to {Address} ({Kind} address) now: callbacks to it will be refused on this production host. Set {Flag}=true if the receiver is meant to be inside your network.")]
    private static partial void NonPublicTarget(ILogger logger, string key, string host, string address, string kind, string flag);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "{Key} names {Host}, which resolves to public addresses and also to {Address} ({Kind} address): callbacks connect only to the public ones.")]
    private static partial void PartlyNonPublicTarget(ILogger logger, string key, string host, string address, string kind);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "{Key}: {Host} could not be resolved at startup ({Error}); its address is checked at each connection.")]
    private static partial void Unresolved(ILogger logger, string key, string host, string error);
}
