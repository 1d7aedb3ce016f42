using System.CommandLine;
using System.Net;
using System.Text.Json;
using ThermalPlant.Cli.Modbus;
using ThermalPlant.Modbus.Server;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant modbus ...</c> against our Modbus TCP server on loopback.</summary>
public sealed class ModbusCommandTests : IAsyncLifetime
{
    private readonly ModbusDataStore _store = new();
    private ModbusTcpServer _server = null!;

    private string Endpoint => $"127.0.0.1:{_server.Port}";

    public Task InitializeAsync()
    {
        _server = new ModbusTcpServer(_store, new ModbusServerOptions { Address = IPAddress.Loopback, Port = 0 });
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Read_decodes_holding_registers_at_a_hex_address()
    {
        _store.WriteHoldingRegisters(0x8061, [0x0400, 0xFFFF]);
        var (exit, output, _) = await Run("modbus", "read", Endpoint, "--unit", "0", "--table", "holding", "--address", "0x8061", "--count", "2", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(0x8061, doc.RootElement[0].GetProperty("address").GetInt32());
        // Numbers as JSON numbers.
        Assert.Equal(1024, doc.RootElement[0].GetProperty("value").GetInt32());
        Assert.Equal(65535, doc.RootElement[1].GetProperty("value").GetInt32());
        Assert.Contains("\"value\":1024}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_then_read_round_trips_every_type_and_word_order()
    {
        Assert.Equal(0, (await Run("modbus", "write", Endpoint, "-1.5", "2.25", "--address", "100", "--type", "float32", "--word-order", "low-first")).Exit);
        var (exit, output, _) = await Run("modbus", "read", Endpoint, "--address", "100", "--count", "2", "--type", "float32", "--word-order", "low-first", "--json");
        Assert.Equal(0, exit);
        using (var doc = JsonDocument.Parse(output))
        {
            Assert.Equal(JsonValueKind.Number, doc.RootElement[0].GetProperty("value").ValueKind);
            Assert.Equal(-1.5, doc.RootElement[0].GetProperty("value").GetDouble());
            Assert.Equal(102, doc.RootElement[1].GetProperty("address").GetInt32());
        }
        Span<ushort> raw = stackalloc ushort[2];
        _store.ReadHoldingRegisters(100, raw);
        Assert.Equal(0x0000, raw[0]);
        Assert.Equal(0xBFC0, raw[1]);

        Assert.Equal(0, (await Run("modbus", "write", Endpoint, "-70000", "--address", "200", "--type", "int32")).Exit);
        Assert.Contains("-70000", (await Run("modbus", "read", Endpoint, "--address", "200", "--type", "int32")).Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Run("modbus", "write", Endpoint, "-2", "--address", "0x8006", "--type", "int16")).Exit);
        Assert.Contains("65534", (await Run("modbus", "read", Endpoint, "--address", "0x8006")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coils_are_written_and_read_and_discrete_inputs_read()
    {
        Assert.Equal(0, (await Run("modbus", "write", Endpoint, "1", "0", "on", "--table", "coil", "--address", "7")).Exit);
        _store.WriteDiscreteInputs(3, [true]);
        var coils = await Run("modbus", "read", Endpoint, "--table", "coil", "--address", "7", "--count", "3", "--json");
        using var doc = JsonDocument.Parse(coils.Output);
        Assert.Equal([true, false, true], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("value").GetBoolean()));
        Assert.Contains("true", (await Run("modbus", "read", Endpoint, "--table", "discrete", "--address", "3")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_request_and_an_unreachable_device_are_clear_errors()
    {
        var refused = await Run("modbus", "read", Endpoint, "--address", "65535", "--count", "2");
        Assert.Equal(2, refused.Exit);
        var bad = await Run("modbus", "read", Endpoint, "--address", "0x1G");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("not an address", bad.Error, StringComparison.Ordinal);
        var unreachable = await Run("modbus", "read", "127.0.0.1:1", "--address", "0");
        Assert.Equal(1, unreachable.Exit);
        Assert.StartsWith("error:", unreachable.Error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { ModbusCommands.Create(output, error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
