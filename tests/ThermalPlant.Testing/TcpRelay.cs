using System.Net;
using System.Net.Sockets;

namespace ThermalPlant.Testing;

/// <summary>
/// A TCP relay on loopback between a client and a server, so a test can cut every connection (as a network outage
/// does) or freeze them (a peer that stops answering without closing), and let new connections through again.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _pairs = [];
    private readonly Lock _lock = new();
    private readonly Task _accepting;
    private volatile bool _frozen;
    private volatile bool _refusing;

    /// <summary>Starts relaying connections on a free loopback port to <paramref name="targetPort"/> on loopback.</summary>
    public TcpRelay(int targetPort)
    {
        TargetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync(_stopping.Token);
    }

    /// <summary>The relay's own port, which clients connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The port relayed to; it may change, for a server restarted elsewhere.</summary>
    public int TargetPort { get; set; }

    /// <summary>Connections relayed now.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock) return _pairs.Count;
        }
    }

    /// <summary>Closes every relayed connection; with <paramref name="refuseNew"/> new ones are closed on accept too.</summary>
    public void Cut(bool refuseNew = false)
    {
        _refusing = refuseNew;
        lock (_lock)
        {
            foreach (var (client, server) in _pairs)
            {
                client.Dispose();
                server.Dispose();
            }
            _pairs.Clear();
        }
    }

    /// <summary>Stops forwarding bytes in both directions while keeping the connections open.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>Forwards bytes and accepts connections again.</summary>
    public void Restore()
    {
        _frozen = false;
        _refusing = false;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                if (_refusing)
                {
                    client.Dispose();
                    continue;
                }
                var server = new TcpClient { NoDelay = true };
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, TargetPort, cancellationToken);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }
                client.NoDelay = true;
                lock (_lock) _pairs.Add((client, server));
                _ = PumpAsync(client, server, cancellationToken);
                _ = PumpAsync(server, client, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            while (!cancellationToken.IsCancellationRequested)
            {
                var read = await source.ReadAsync(buffer, cancellationToken);
                if (read == 0) break;
                while (_frozen) await Task.Delay(20, cancellationToken);
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or SocketException)
        {
        }
        from.Dispose();
        to.Dispose();
        lock (_lock) _pairs.RemoveAll(p => ReferenceEquals(p.Client, from) || ReferenceEquals(p.Server, from));
    }
}
