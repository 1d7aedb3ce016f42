using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Maps;
using ThermalPlant.Modbus.Server;

namespace ThermalPlant.PowerToGas.Tests;

/// <summary>The PEMEL register map read through the Modbus library's generic map reader from a real server on loopback.</summary>
public sealed class PemelRegisterMapTests
{
    [Fact]
    public async Task The_pemel_map_reads_status_flags_and_process_values_in_one_request()
    {
        var store = new ModbusDataStore();
        // Status: error off, automatic mode, safety OK, cooling on, cooling temperature reached (bit 10).
        store.WriteHoldingRegisters(PemelRegisterMap.StatusAddress, [(ushort)((1 << 3) | (1 << 4) | (1 << 7) | (1 << 10))]);
        store.WriteHoldingRegisters(PemelRegisterMap.ProcessValuesAddress, [.. Enumerable.Range(1, 14).Select(i => (ushort)(i * 10))]);
        await using var server = new ModbusTcpServer(store, new() { Port = 0 });
        server.Start();
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = server.Port });

        var reader = new RegisterMapReader(PemelRegisterMap.Create());
        // The status word and the process values are three registers apart: one FC03 of 18 registers.
        Assert.Equal((0x8061, 18), (reader.Plan.Single().Address, reader.Plan.Single().Count));
        var values = (await reader.ReadAsync(client, 0)).ToDictionary(v => v.Name);

        var flags = values["status"].Flags!;
        Assert.Equal(16, flags.Count);
        Assert.True(flags["mode_automatic"]);
        Assert.True(flags[PemelRegisterMap.CoolingTemperatureReached]);
        Assert.False(flags["error"]);
        Assert.Equal(10, values["power"].Value);
        Assert.Equal("NL/min", values["h2_flow"].Unit);
        Assert.Equal(70, values["h2_flow"].Value);
        Assert.Equal(140, values["h2_cooler_temperature"].Value);
    }

    [Fact]
    public void The_pemel_map_honours_a_base_offset()
    {
        var plan = new RegisterMapReader(PemelRegisterMap.Create(baseAddress: -0x8000 + 0x100)).Plan;
        Assert.Equal(0x8061 - 0x8000 + 0x100, plan[0].Address);
    }
}
