using System.Buffers;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.Modbus.Protocol;

namespace ThermalPlant.Modbus.Server;

/// <summary>
/// A small Modbus TCP server over a <see cref="ModbusDataStore"/>, for simulated devices and tests. A
/// malformed MBAP header closes that connection; a bad request gets an exception response; nothing a peer
/// sends allocates beyond one 260-byte frame per connection.
/// </summary>
public sealed class ModbusTcpServer : IAsyncDisposable
{
    private readonly ModbusServerOptions _options;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _connections;
    private Task? _acceptLoop;

    /// <summary>Creates the server for <paramref name="store"/>; <see cref="Start"/> opens the port.</summary>
    public ModbusTcpServer(ModbusDataStore store, ModbusServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        Store = store;
        _options = options;
        _connections = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        _listener = new TcpListener(options.Address, options.Port);
    }

    /// <summary>The tables this server serves.</summary>
    public ModbusDataStore Store { get; }

    /// <summary>The port listened on (the chosen one when the options asked for 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Opens the port and starts accepting connections.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptAsync(_stopping.Token);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            try
            {
                await _acceptLoop;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        var clients = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(cancellationToken);
                if (!_connections.Wait(0, CancellationToken.None))
                {
                    socket.Dispose();
                    continue;
                }
                clients.RemoveAll(t => t.IsCompleted);
                clients.Add(ServeAsync(socket, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        await Task.WhenAll(clients);
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var frame = ArrayPool<byte>.Shared.Rent(2 * (ModbusLimits.MbapLength + ModbusLimits.MaxPduLength));
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var request = frame.AsMemory(0, ModbusLimits.MbapLength + ModbusLimits.MaxPduLength);
            var response = frame.AsMemory(ModbusLimits.MbapLength + ModbusLimits.MaxPduLength);
            while (!cancellationToken.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(_options.IdleTimeout);
                if (!await ReadFullyAsync(stream, request[..ModbusLimits.MbapLength], idle.Token)) return;
                var header = Mbap.Read(request.Span);
                await stream.ReadExactlyAsync(request.Slice(ModbusLimits.MbapLength, header.Length - 1), idle.Token);
                if (_options.UnitId is { } unit && header.Unit != unit)
                {
                    // Not addressed to this device: a gateway would answer 0x0B; a device stays silent.
                    continue;
                }
                var length = RequestHandler.Handle(request.Span.Slice(ModbusLimits.MbapLength, header.Length - 1), response.Span[ModbusLimits.MbapLength..], Store);
                Mbap.Write(response.Span, header.TransactionId, header.Unit, length);
                await stream.WriteAsync(response[..(ModbusLimits.MbapLength + length)], cancellationToken);
            }
        }
        catch (Exception ex) when (ex is ModbusProtocolException or IOException or SocketException or OperationCanceledException or EndOfStreamException)
        {
            // A malformed frame, a vanished peer, an idle timeout or shutdown: this connection ends, the server goes on.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
            _connections.Release();
        }
    }

    /// <summary>Reads exactly the buffer; false when the peer closed cleanly before sending anything.</summary>
    private static async Task<bool> ReadFullyAsync(NetworkStream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await stream.ReadAsync(buffer, cancellationToken);
        if (read == 0) return false;
        if (read < buffer.Length) await stream.ReadExactlyAsync(buffer[read..], cancellationToken);
        return true;
    }
}
