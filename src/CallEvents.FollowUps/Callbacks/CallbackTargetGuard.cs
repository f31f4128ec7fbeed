using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.FollowUps.Callbacks;

/// <summary>
/// Resolves a callback target's host name to the addresses a connection may go to. The default asks DNS; a host may
/// register its own (e.g. a resolver pinned to an internal DNS server).
/// </summary>
public interface ICallbackAddressResolver
{
    /// <summary>The addresses <paramref name="host"/> resolves to now.</summary>
    /// <param name="host">A DNS name (never an IP literal: those are used as they are).</param>
    /// <param name="cancellationToken">Ends the lookup (the attempt's timeout).</param>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The default resolver: the system's DNS.</summary>
internal sealed class DnsCallbackAddressResolver : ICallbackAddressResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>A callback that may not be sent where its URL points; never retried.</summary>
internal sealed class CallbackTargetRefusedException(string message) : Exception(message);

/// <summary>
/// Checks, at every new connection, the address a callback is about to connect to: a DNS name checked at startup (or
/// never) may resolve to a loopback or private address later (DNS rebinding), so the check happens where the socket is
/// opened, on the addresses actually used. Only public addresses are connected to; when none is left the connection
/// is refused.
/// </summary>
internal sealed class CallbackTargetGuard(ICallbackAddressResolver resolver)
{
    /// <summary>
    /// The primary handler of a callback HTTP client. Redirects are not followed: a callback receiver is configured
    /// with its final URL, and a redirect must not carry call data somewhere the rules never named. On a restricted host
    /// the guarded client connects only to public addresses, and directly: through an HTTP proxy the check would see
    /// the proxy's address, not the target's.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(IServiceProvider services, bool guarded)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false };
        if (guarded && services.GetRequiredService<CallbackTargetPolicy>().Restricted)
        {
            handler.UseProxy = false;
            handler.ConnectCallback = services.GetRequiredService<CallbackTargetGuard>().ConnectAsync;
        }

        return handler;
    }

    /// <summary>Connects to the first public address of the target that answers; refuses when it has none.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : CallbackTargets.IsLocalhostName(host) ? [IPAddress.Loopback] : await resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        var allowed = addresses.Where(a => CallbackTargets.NonPublicKind(a) is null).ToArray();
        if (allowed.Length == 0)
        {
            var refused = addresses.FirstOrDefault();
            throw new CallbackTargetRefusedException(refused is null
                ? $"refused: {host} resolves to no address"
                : $"refused: {host} resolves to {refused} ({CallbackTargets.NonPublicKind(refused)} address), which callbacks may not reach on a production host");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
