using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Protocol;
using ThermalPlant.Modbus.Server;

namespace ThermalPlant.Modbus.Tests;

/// <summary>Our client against our server in process, through real sockets on loopback.</summary>
public sealed class ClientServerTests : IAsyncLifetime
{
    private ModbusTcpServer _server = null!;
    private ModbusTcpClient _client = null!;

    public Task InitializeAsync()
    {
        _server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0 });
        _server.Start();
        _client = new ModbusTcpClient(new ModbusClientOptions { Port = _server.Port });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Coils_round_trip_single_and_multiple()
    {
        await _client.WriteSingleCoilAsync(1, 5, true);
        await _client.WriteMultipleCoilsAsync(1, 8, new[] { true, false, true, true, false, false, false, false, true });
        var coils = await _client.ReadCoilsAsync(1, 5, 12);
        Assert.Equal([true, false, false, true, false, true, true, false, false, false, false, true], coils);
    }

    [Fact]
    public async Task Registers_round_trip_single_multiple_and_read_write()
    {
        await _client.WriteSingleRegisterAsync(1, 100, 0xBEEF);
        await _client.WriteMultipleRegistersAsync(1, 101, new ushort[] { 1, 2, 3 });
        Assert.Equal([0xBEEF, 1, 2, 3], await _client.ReadHoldingRegistersAsync(1, 100, 4));
        var read = await _client.ReadWriteMultipleRegistersAsync(1, 100, 2, 100, new ushort[] { 7 });
        Assert.Equal([7, 1], read);
    }

    [Fact]
    public async Task Device_side_tables_are_read_with_fc02_and_fc04()
    {
        _server.Store.WriteDiscreteInputs(0, [true, false, true]);
        _server.Store.WriteInputRegisters(0x8065, [12, 34]);
        Assert.Equal(new[] { true, false, true }, await _client.ReadDiscreteInputsAsync(1, 0, 3));
        Assert.Equal(new ushort[] { 12, 34 }, await _client.ReadInputRegistersAsync(1, 0x8065, 2));
    }

    [Fact]
    public async Task Maximum_quantities_are_served()
    {
        Assert.Equal(125, (await _client.ReadHoldingRegistersAsync(1, 0, 125)).Length);
        Assert.Equal(2000, (await _client.ReadCoilsAsync(1, 0, 2000)).Length);
        await _client.WriteMultipleRegistersAsync(1, 0, new ushort[123]);
        await _client.WriteMultipleCoilsAsync(1, 0, new bool[1968]);
    }

    [Fact]
    public async Task A_range_past_the_last_address_is_refused_before_sending()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.ReadHoldingRegistersAsync(1, 65535, 2));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.ReadHoldingRegistersAsync(1, 0, 126));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.ReadCoilsAsync(1, 0, 0));
    }

    [Fact]
    public async Task Concurrent_callers_share_one_connection_one_request_at_a_time()
    {
        var tasks = Enumerable.Range(0, 50).Select(i => _client.WriteSingleRegisterAsync(1, (ushort)i, (ushort)(i * 3))).ToArray();
        await Task.WhenAll(tasks);
        var values = await _client.ReadHoldingRegistersAsync(1, 0, 50);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (ushort)(i * 3)), values);
    }

    [Fact]
    public async Task A_server_for_one_unit_ignores_other_units_and_the_client_times_out()
    {
        await using var server = new ModbusTcpServer(new ModbusDataStore(), new ModbusServerOptions { Port = 0, UnitId = 7 });
        server.Start();
        // Long enough that the reconnect after the timeout fits in it on a loaded machine.
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = server.Port, RequestTimeout = TimeSpan.FromSeconds(2) });
        Assert.Single(await client.ReadHoldingRegistersAsync(7, 0, 1));
        await Assert.ThrowsAsync<ModbusProtocolException>(() => client.ReadHoldingRegistersAsync(8, 0, 1));
        Assert.Single(await client.ReadHoldingRegistersAsync(7, 0, 1));
    }

    [Fact]
    public async Task Exception_responses_are_typed_and_keep_the_connection()
    {
        await using var raw = await RawConnection.OpenAsync(_server.Port);
        var illegalFunction = await raw.ExchangeAsync(1, [0x2B, 0x0E, 0x01, 0x00]);
        Assert.Equal([0xAB, (byte)ExceptionCode.IllegalFunction], illegalFunction);
        var illegalValue = await raw.ExchangeAsync(1, [0x03, 0x00, 0x00, 0x00, 0x7E]);
        Assert.Equal([0x83, (byte)ExceptionCode.IllegalDataValue], illegalValue);
        var illegalAddress = await raw.ExchangeAsync(1, [0x03, 0xFF, 0xFF, 0x00, 0x02]);
        Assert.Equal([0x83, (byte)ExceptionCode.IllegalDataAddress], illegalAddress);
        var badCoilValue = await raw.ExchangeAsync(1, [0x05, 0x00, 0x01, 0x12, 0x34]);
        Assert.Equal([0x85, (byte)ExceptionCode.IllegalDataValue], badCoilValue);
        var badByteCount = await raw.ExchangeAsync(1, [0x10, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x01, 0x00]);
        Assert.Equal([0x90, (byte)ExceptionCode.IllegalDataValue], badByteCount);
        var ok = await raw.ExchangeAsync(1, [0x03, 0x00, 0x00, 0x00, 0x01]);
        Assert.Equal([0x03, 0x02, 0x00, 0x00], ok);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x01, 0x03 })]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01 })]
    public async Task A_malformed_header_closes_that_connection_and_the_server_goes_on(byte[] garbage)
    {
        await using (var raw = await RawConnection.OpenAsync(_server.Port))
        {
            await raw.SendAsync(garbage);
            Assert.True(await raw.IsClosedByPeerAsync(TimeSpan.FromSeconds(5)));
        }
        Assert.Single(await _client.ReadHoldingRegistersAsync(1, 0, 1));
    }

    [Fact]
    public async Task Options_are_validated_at_construction()
    {
        var error = Assert.Throws<ArgumentException>(() => new ModbusTcpClient(new ModbusClientOptions { Port = 0, RequestTimeout = TimeSpan.Zero }));
        Assert.Contains("Port", error.Message, StringComparison.Ordinal);
        Assert.Contains("RequestTimeout", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}
