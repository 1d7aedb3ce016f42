using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ThermalPlant.Modbus.Tests;

/// <summary>A bare TCP connection for sending hand-made frames to the server under test.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private ushort _transaction;

    private RawConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>, from <paramref name="from"/> (another loopback address) when given.</summary>
    public static async Task<RawConnection> OpenAsync(int port, IPAddress? from = null)
    {
        var tcp = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(from, 0));
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new RawConnection(tcp);
    }

    /// <summary>This end's address and port, as the server sees the peer.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_tcp.Client.LocalEndPoint!;

    public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Sends a PDU with a correct MBAP header and returns the response PDU.</summary>
    public async Task<byte[]> ExchangeAsync(byte unit, byte[] pdu)
    {
        var frame = new byte[7 + pdu.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, ++_transaction);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), (ushort)(pdu.Length + 1));
        frame[6] = unit;
        pdu.CopyTo(frame, 7);
        await _stream.WriteAsync(frame);
        var header = new byte[7];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _stream.ReadExactlyAsync(header, timeout.Token);
        Assert.Equal(_transaction, BinaryPrimitives.ReadUInt16BigEndian(header));
        var response = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4)) - 1];
        await _stream.ReadExactlyAsync(response, timeout.Token);
        return response;
    }

    public async Task<bool> IsClosedByPeerAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            var buffer = new byte[1];
            return await _stream.ReadAsync(buffer, timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
