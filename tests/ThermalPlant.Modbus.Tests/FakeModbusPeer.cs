using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ThermalPlant.Modbus.Tests;

/// <summary>
/// A fake device on loopback that answers each request with whatever the test scripts: a correct frame, a
/// corrupted one, silence, or a dropped connection. It accepts new connections, so reconnection can be seen.
/// </summary>
internal sealed class FakeModbusPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="respond">Given (transaction id, unit, request PDU), the bytes to send back; null sends nothing; an empty array closes the connection.</param>
    public FakeModbusPeer(Func<ushort, byte, byte[], byte[]?> respond)
    {
        _listener.Start();
        _loop = RunAsync(respond, _stop.Token);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections { get; private set; }

    public static byte[] Frame(ushort transaction, byte unit, params byte[] pdu)
    {
        var frame = new byte[7 + pdu.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, transaction);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), (ushort)(pdu.Length + 1));
        frame[6] = unit;
        pdu.CopyTo(frame, 7);
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task RunAsync(Func<ushort, byte, byte[], byte[]?> respond, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using var tcp = await _listener.AcceptTcpClientAsync(cancellationToken);
                Connections++;
                var stream = tcp.GetStream();
                try
                {
                    while (true)
                    {
                        var header = new byte[7];
                        await stream.ReadExactlyAsync(header, cancellationToken);
                        var pdu = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4)) - 1];
                        await stream.ReadExactlyAsync(pdu, cancellationToken);
                        var answer = respond(BinaryPrimitives.ReadUInt16BigEndian(header), header[6], pdu);
                        if (answer is null) continue;
                        if (answer.Length == 0) break;
                        await stream.WriteAsync(answer, cancellationToken);
                    }
                }
                catch (Exception ex) when (ex is IOException or EndOfStreamException)
                {
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
