using System.Buffers;
using System.Net.Sockets;
using ThermalPlant.Modbus.Protocol;

namespace ThermalPlant.Modbus.Client;

/// <summary>
/// A Modbus TCP client: one request in flight per connection, each with its own timeout, every response
/// checked field by field. A device's refusal is a <see cref="ModbusException"/> and keeps the connection; a
/// malformed answer, a timeout or a broken connection is a <see cref="ModbusProtocolException"/>, drops the
/// connection, and the next request connects again (backoff between attempts is the caller's policy).
/// </summary>
public sealed class ModbusTcpClient : IAsyncDisposable
{
    private readonly ModbusClientOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TcpClient? _tcp;
    private NetworkStream? _stream;
    private ushort _transactionId;

    /// <summary>Creates the client; nothing connects until the first request.</summary>
    public ModbusTcpClient(ModbusClientOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Whether a connection is open now.</summary>
    public bool IsConnected => _tcp?.Connected == true;

    /// <summary>FC01: reads <paramref name="count"/> coils (1..2000).</summary>
    public Task<bool[]> ReadCoilsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadBitsAsync(unit, FunctionCode.ReadCoils, address, count, cancellationToken);

    /// <summary>FC02: reads <paramref name="count"/> discrete inputs (1..2000).</summary>
    public Task<bool[]> ReadDiscreteInputsAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadBitsAsync(unit, FunctionCode.ReadDiscreteInputs, address, count, cancellationToken);

    /// <summary>FC03: reads <paramref name="count"/> holding registers (1..125).</summary>
    public Task<ushort[]> ReadHoldingRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(unit, FunctionCode.ReadHoldingRegisters, address, count, cancellationToken);

    /// <summary>FC04: reads <paramref name="count"/> input registers (1..125).</summary>
    public Task<ushort[]> ReadInputRegistersAsync(byte unit, ushort address, ushort count, CancellationToken cancellationToken = default) =>
        ReadRegistersAsync(unit, FunctionCode.ReadInputRegisters, address, count, cancellationToken);

    /// <summary>FC05: writes one coil.</summary>
    public Task WriteSingleCoilAsync(byte unit, ushort address, bool value, CancellationToken cancellationToken = default) =>
        WriteSingleAsync(unit, FunctionCode.WriteSingleCoil, address, value ? (ushort)0xFF00 : (ushort)0x0000, cancellationToken);

    /// <summary>FC06: writes one holding register.</summary>
    public Task WriteSingleRegisterAsync(byte unit, ushort address, ushort value, CancellationToken cancellationToken = default) =>
        WriteSingleAsync(unit, FunctionCode.WriteSingleRegister, address, value, cancellationToken);

    /// <summary>FC15: writes 1..1968 coils.</summary>
    public async Task WriteMultipleCoilsAsync(byte unit, ushort address, ReadOnlyMemory<bool> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, values.Length, ModbusLimits.MaxWriteBits);
        await ExchangeAsync(unit, pdu => Pdu.WriteMultipleCoilsRequest(pdu, address, values.Span),
            (request, response) => Pdu.CheckEcho(response, request, FunctionCode.WriteMultipleCoils), cancellationToken);
    }

    /// <summary>FC16: writes 1..123 holding registers.</summary>
    public async Task WriteMultipleRegistersAsync(byte unit, ushort address, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckRange(address, values.Length, ModbusLimits.MaxWriteRegisters);
        await ExchangeAsync(unit, pdu => Pdu.WriteMultipleRegistersRequest(pdu, address, values.Span),
            (request, response) => Pdu.CheckEcho(response, request, FunctionCode.WriteMultipleRegisters), cancellationToken);
    }

    /// <summary>FC23: writes 1..121 registers, then reads 1..125 registers, in one transaction.</summary>
    public async Task<ushort[]> ReadWriteMultipleRegistersAsync(byte unit, ushort readAddress, ushort readCount, ushort writeAddress, ReadOnlyMemory<ushort> values, CancellationToken cancellationToken = default)
    {
        CheckRange(readAddress, readCount, ModbusLimits.MaxReadRegisters);
        CheckRange(writeAddress, values.Length, ModbusLimits.MaxReadWriteWriteRegisters);
        var result = new ushort[readCount];
        await ExchangeAsync(unit, pdu => Pdu.ReadWriteRequest(pdu, readAddress, readCount, writeAddress, values.Span),
            (_, response) => Pdu.ReadRegisters(Pdu.ReadResponseData(response, FunctionCode.ReadWriteMultipleRegisters, readCount * 2), result), cancellationToken);
        return result;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            Drop();
        }
        finally
        {
            _gate.Release();
            _gate.Dispose();
        }
    }

    private async Task<bool[]> ReadBitsAsync(byte unit, FunctionCode function, ushort address, ushort count, CancellationToken cancellationToken)
    {
        CheckRange(address, count, ModbusLimits.MaxReadBits);
        var result = new bool[count];
        await ExchangeAsync(unit, pdu => Pdu.ReadRequest(pdu, function, address, count),
            (_, response) => Pdu.UnpackBits(Pdu.ReadResponseData(response, function, (count + 7) / 8), result), cancellationToken);
        return result;
    }

    private async Task<ushort[]> ReadRegistersAsync(byte unit, FunctionCode function, ushort address, ushort count, CancellationToken cancellationToken)
    {
        CheckRange(address, count, ModbusLimits.MaxReadRegisters);
        var result = new ushort[count];
        await ExchangeAsync(unit, pdu => Pdu.ReadRequest(pdu, function, address, count),
            (_, response) => Pdu.ReadRegisters(Pdu.ReadResponseData(response, function, count * 2), result), cancellationToken);
        return result;
    }

    private Task WriteSingleAsync(byte unit, FunctionCode function, ushort address, ushort value, CancellationToken cancellationToken) =>
        ExchangeAsync(unit, pdu => Pdu.WriteSingleRequest(pdu, function, address, value),
            (request, response) => Pdu.CheckEcho(response, request, function), cancellationToken);

    private static void CheckRange(ushort address, int count, int max)
    {
        if (count < 1 || count > max) throw new ArgumentOutOfRangeException(nameof(count), count, $"must be between 1 and {max}");
        if (address + count > 65536) throw new ArgumentOutOfRangeException(nameof(address), address, "the range ends beyond address 65535");
    }

    private delegate int RequestWriter(Span<byte> pdu);

    private delegate void ResponseReader(ReadOnlySpan<byte> request, ReadOnlySpan<byte> response);

    private async Task ExchangeAsync(byte unit, RequestWriter write, ResponseReader read, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(2 * (ModbusLimits.MbapLength + ModbusLimits.MaxPduLength));
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var stream = await ConnectedAsync(linked.Token);
            var frame = buffer.AsMemory(0, ModbusLimits.MbapLength + ModbusLimits.MaxPduLength);
            var pduLength = write(frame.Span[ModbusLimits.MbapLength..]);
            var transactionId = ++_transactionId;
            Mbap.Write(frame.Span, transactionId, unit, pduLength);
            await stream.WriteAsync(frame[..(ModbusLimits.MbapLength + pduLength)], linked.Token);

            var answer = buffer.AsMemory(ModbusLimits.MbapLength + ModbusLimits.MaxPduLength);
            await stream.ReadExactlyAsync(answer[..ModbusLimits.MbapLength], linked.Token);
            var header = Mbap.Read(answer.Span);
            if (header.TransactionId != transactionId) throw new ModbusProtocolException($"response for transaction {header.TransactionId}, expected {transactionId}");
            if (header.Unit != unit) throw new ModbusProtocolException($"response from unit {header.Unit}, expected {unit}");
            var response = answer.Slice(ModbusLimits.MbapLength, header.Length - 1);
            await stream.ReadExactlyAsync(response, linked.Token);
            read(frame.Span.Slice(ModbusLimits.MbapLength, pduLength), response.Span);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Drop();
            throw new ModbusProtocolException($"no answer from {_options.Host}:{_options.Port} within {_options.RequestTimeout.TotalMilliseconds} ms");
        }
        catch (ModbusProtocolException)
        {
            Drop();
            throw;
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
        {
            Drop();
            throw new ModbusProtocolException($"connection to {_options.Host}:{_options.Port} failed: {ex.Message}", ex);
        }
        catch (OperationCanceledException)
        {
            // The caller gave up mid-request: the response may still arrive, so the connection cannot be reused.
            Drop();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _gate.Release();
        }
    }

    private async Task<NetworkStream> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_stream is not null && _tcp?.Connected == true) return _stream;
        Drop();
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            await tcp.ConnectAsync(_options.Host, _options.Port, linked.Token);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        _tcp = tcp;
        _stream = tcp.GetStream();
        return _stream;
    }

    private void Drop()
    {
        _stream?.Dispose();
        _tcp?.Dispose();
        _stream = null;
        _tcp = null;
    }
}
