using System.Net;
using System.Net.Sockets;

namespace CallEvents.TestSupport;

/// <summary>Finds free TCP ports on the loopback interface.</summary>
public static class FreePort
{
    /// <summary>
    /// Returns a TCP port on 127.0.0.1 that was free a moment ago (the operating system picks it).
    /// Another process may still take it before the caller binds, so callers that can should
    /// retry with a new port when binding fails.
    /// </summary>
    public static int Get()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Whether <paramref name="exception"/> (or one it wraps) says a port was already in use: the race
    /// <see cref="Get"/> warns about, after which a caller starts again with new ports.
    /// </summary>
    public static bool WasTaken(Exception exception) => exception switch
    {
        SocketException socket => socket.SocketErrorCode == SocketError.AddressAlreadyInUse,
        AggregateException many => many.InnerExceptions.Any(WasTaken),
        _ => exception.InnerException is { } inner && WasTaken(inner),
    };
}
