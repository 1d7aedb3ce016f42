using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Protocol;

namespace ThermalPlant.Modbus.Tests;

/// <summary>Every way a device can answer wrongly is an error with a reason, never a made-up value.</summary>
public sealed class MalformedResponseTests
{
    private static readonly byte[] GoodRead = [0x03, 0x02, 0x12, 0x34];

    public static TheoryData<string, Func<ushort, byte, byte[]>> Corruptions => new()
    {
        { "transaction", (t, u) => FakeModbusPeer.Frame((ushort)(t + 1), u, GoodRead) },
        { "unit", (t, u) => FakeModbusPeer.Frame(t, (byte)(u + 1), GoodRead) },
        { "function", (t, u) => FakeModbusPeer.Frame(t, u, 0x04, 0x02, 0x12, 0x34) },
        { "byte count", (t, u) => FakeModbusPeer.Frame(t, u, 0x03, 0x04, 0x12, 0x34, 0x56, 0x78) },
        { "short", (t, u) => FakeModbusPeer.Frame(t, u, 0x03, 0x02, 0x12) },
        { "long", (t, u) => FakeModbusPeer.Frame(t, u, 0x03, 0x02, 0x12, 0x34, 0x00) },
        { "protocol id", (t, u) => [.. FakeModbusPeer.Frame(t, u, GoodRead)[..2], 0x00, 0x07, .. FakeModbusPeer.Frame(t, u, GoodRead)[4..]] },
        { "length beyond 254", (t, u) => [(byte)(t >> 8), (byte)t, 0, 0, 0x01, 0x00, u, 0x03] },
        { "exception of wrong length", (t, u) => FakeModbusPeer.Frame(t, u, 0x83, 0x02, 0x00) },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task A_corrupted_response_is_a_protocol_error_and_the_next_request_reconnects(string corruption, Func<ushort, byte, byte[]> respond)
    {
        var first = true;
        await using var peer = new FakeModbusPeer((t, u, _) =>
        {
            var answer = first ? respond(t, u) : FakeModbusPeer.Frame(t, u, GoodRead);
            first = false;
            return answer;
        });
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = peer.Port, RequestTimeout = TimeSpan.FromSeconds(2) });
        var error = await Assert.ThrowsAsync<ModbusProtocolException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.False(string.IsNullOrEmpty(error.Message), corruption);
        Assert.Equal([0x1234], await client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(2, peer.Connections);
    }

    [Fact]
    public async Task An_exception_response_is_typed_and_keeps_the_connection()
    {
        await using var peer = new FakeModbusPeer((t, u, pdu) => pdu[2] == 0x99
            ? FakeModbusPeer.Frame(t, u, 0x83, (byte)ExceptionCode.IllegalDataAddress)
            : FakeModbusPeer.Frame(t, u, GoodRead));
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = peer.Port });
        var error = await Assert.ThrowsAsync<ModbusException>(() => client.ReadHoldingRegistersAsync(1, 0x0099, 1));
        Assert.Equal(ExceptionCode.IllegalDataAddress, error.Code);
        Assert.Equal(FunctionCode.ReadHoldingRegisters, error.Function);
        Assert.Equal([0x1234], await client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(1, peer.Connections);
    }

    [Fact]
    public async Task Silence_times_out_and_the_next_request_reconnects()
    {
        // Virtual time: the deadline passes only once the peer holds the request, so a loaded machine cannot make
        // the answered request that follows miss it.
        var time = new FakeTimeProvider();
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var silent = true;
        await using var peer = new FakeModbusPeer((t, u, _) =>
        {
            if (!silent) return FakeModbusPeer.Frame(t, u, GoodRead);
            heard.TrySetResult();
            return null;
        });
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = peer.Port, RequestTimeout = TimeSpan.FromMilliseconds(200) }, time);
        var unanswered = client.ReadHoldingRegistersAsync(1, 0, 1);
        await heard.Task.WaitAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(unanswered.IsCompleted);
        silent = false;
        time.Advance(TimeSpan.FromMilliseconds(1));
        var error = await Assert.ThrowsAsync<ModbusProtocolException>(() => unanswered);
        Assert.Contains("no answer", error.Message, StringComparison.Ordinal);
        Assert.Equal([0x1234], await client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal(2, peer.Connections);
    }

    [Fact]
    public async Task A_connection_dropped_mid_response_is_a_protocol_error_then_recovers()
    {
        var drop = true;
        await using var peer = new FakeModbusPeer((t, u, _) =>
        {
            if (!drop) return FakeModbusPeer.Frame(t, u, GoodRead);
            drop = false;
            return [];
        });
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = peer.Port });
        await Assert.ThrowsAsync<ModbusProtocolException>(() => client.ReadHoldingRegistersAsync(1, 0, 1));
        Assert.Equal([0x1234], await client.ReadHoldingRegistersAsync(1, 0, 1));
    }

    [Fact]
    public async Task A_write_whose_echo_differs_is_a_protocol_error()
    {
        await using var peer = new FakeModbusPeer((t, u, pdu) => FakeModbusPeer.Frame(t, u, 0x06, pdu[1], pdu[2], 0x00, 0x00));
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = peer.Port });
        await Assert.ThrowsAsync<ModbusProtocolException>(() => client.WriteSingleRegisterAsync(1, 0x8006, 30));
    }

    [Fact]
    public async Task No_device_listening_is_a_protocol_error()
    {
        var port = ThermalPlant.Testing.PeerPrograms.FreePort();
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = port });
        await Assert.ThrowsAsync<ModbusProtocolException>(() => client.ReadCoilsAsync(1, 0, 1));
    }
}
