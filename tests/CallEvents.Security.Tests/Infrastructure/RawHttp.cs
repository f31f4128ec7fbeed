using System.Net.Sockets;
using System.Text;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>
/// Sends bytes that no well-behaved HTTP client would (bare CR/LF, NUL in headers, lying lengths, broken
/// chunking) over a plain socket and reads the status code of the answer, if any.
/// </summary>
public static class RawHttp
{
    /// <summary>The status code of the first answer, or null when the server closed without answering.</summary>
    public static async Task<int?> SendAsync(Uri baseAddress, byte[] request, bool halfClose, TimeSpan timeout)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(baseAddress.Host, baseAddress.Port, cts.Token);
        try
        {
            await socket.SendAsync(request, SocketFlags.None, cts.Token);
            if (halfClose)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (SocketException)
        {
            // The server may refuse the rest of a request it already answered; read what it said.
        }

        var received = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (received.IndexOf((byte)'\n') < 0)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (read == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, read).ToArray());
            }
        }
        catch (SocketException)
        {
        }

        var line = Encoding.ASCII.GetString([.. received]);
        return line.StartsWith("HTTP/1.", StringComparison.Ordinal) && line.Length >= 12 && int.TryParse(line.AsSpan(9, 3), out var status)
            ? status
            : null;
    }
}
