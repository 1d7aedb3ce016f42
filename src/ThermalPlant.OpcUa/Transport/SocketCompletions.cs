using System.Net;
using System.Net.Sockets;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>
/// Where the process's socket completions run. By default .NET's socket thread (one epoll thread per 30 cores) hands
/// each completion to a thread-pool thread, which must first be woken: for a server answering small requests that
/// hand-over costs more than the request (docs/BENCHMARKS.md, issue 17). With
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> the runtime runs one socket thread per core and every socket
/// continuation of the process on the socket thread its socket is registered with, so nothing run there may block:
/// the OPC UA server runs everything that may on the thread pool (<see cref="Server.OpcUaServerOptions.MaxBackgroundRequestsPerConnection"/>).
/// The runtime reads the variable once, when the process's first socket is registered with it, so a host chooses
/// with <see cref="PreferInline"/> first thing in <c>Main</c>, and <see cref="RunInlineAsync"/> tells which mode runs.
/// </summary>
public static class SocketCompletions
{
    /// <summary>The runtime's environment variable: 1 runs socket completions inline, 0 (or unset) on the thread pool.</summary>
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Chooses inline socket completions for this process unless its environment says otherwise: sets
    /// <see cref="Variable"/> to 1 when it is unset, keeps 0 or 1 as the operator set it. Call it before the process's
    /// first socket exists (first thing in <c>Main</c>): later it changes nothing. Returns null, or why the value found
    /// is refused (anything but 0 or 1, which the runtime would silently take for 0).
    /// </summary>
    public static string? PreferInline()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (value is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
            return null;
        }
        return value is "0" or "1" ? null : $"{Variable} is '{value}': set it to 1 (socket completions inline, the default) or 0 (on the thread pool), or leave it unset";
    }

    /// <summary>
    /// Whether this process's socket completions run inline, measured: a receive on a loopback connection of its own,
    /// waiting before its byte is sent, goes on on the runtime's socket thread when they do, on a thread-pool thread
    /// when they do not.
    /// </summary>
    public static async Task<bool> RunInlineAsync(CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
        using var accepted = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        // The receive is waiting before the byte goes out, so its continuation runs where the completion does.
        var receivedOnPool = ReceivedOnPoolThreadAsync(accepted, cancellationToken);
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        return !await receivedOnPool.ConfigureAwait(false);
    }

    private static async Task<bool> ReceivedOnPoolThreadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1];
        await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        return Thread.CurrentThread.IsThreadPoolThread;
    }
}
