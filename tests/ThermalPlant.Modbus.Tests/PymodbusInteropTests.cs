using System.Text.Json;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Protocol;
using ThermalPlant.Modbus.Server;
using ThermalPlant.Testing;

namespace ThermalPlant.Modbus.Tests;

/// <summary>Our client and server against an independent implementation: Debian's python3-pymodbus.</summary>
public sealed class PymodbusInteropTests
{
    private const string Hint = "scripts/test installs python3-pymodbus";

    [Fact]
    public async Task Our_client_reads_and_writes_every_function_code_on_a_pymodbus_server()
    {
        if (!PymodbusAvailable()) return;
        var port = PeerPrograms.FreePort();
        await using var server = ManagedProcess.Start("/usr/bin/python3", [RepositoryPaths.Combine("tests", "peers", "modbus", "server.py"), port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await using var client = new ModbusTcpClient(new ModbusClientOptions { Port = port, RequestTimeout = TimeSpan.FromSeconds(3) });
        await WaitForAsync(client, server);

        Assert.Equal(new[] { true, false, false, true, false, false, true }, await client.ReadCoilsAsync(1, 0, 7));
        Assert.Equal(new[] { false, true, false, true }, await client.ReadDiscreteInputsAsync(1, 0, 4));
        Assert.Equal(new ushort[] { 1000, 1001, 1002 }, await client.ReadHoldingRegistersAsync(1, 0, 3));
        Assert.Equal(new ushort[] { 2010, 2011 }, await client.ReadInputRegistersAsync(1, 10, 2));

        await client.WriteSingleCoilAsync(1, 1, true);
        await client.WriteMultipleCoilsAsync(1, 50, new[] { true, true, false, true, false, false, false, false, true });
        Assert.Equal(new[] { true, true }, await client.ReadCoilsAsync(1, 0, 2));
        Assert.Equal(new[] { true, true, false, true, false, false, false, false, true }, await client.ReadCoilsAsync(1, 50, 9));

        await client.WriteSingleRegisterAsync(1, 6, 30);
        await client.WriteMultipleRegistersAsync(1, 20, new ushort[] { 65535, 0, 12345 });
        Assert.Equal(new ushort[] { 30 }, await client.ReadHoldingRegistersAsync(1, 6, 1));
        Assert.Equal(new ushort[] { 65535, 0, 12345 }, await client.ReadHoldingRegistersAsync(1, 20, 3));

        Assert.Equal(new ushort[] { 9, 1041 }, await client.ReadWriteMultipleRegistersAsync(1, 40, 2, 40, new ushort[] { 9 }));

        var refused = await Assert.ThrowsAsync<ModbusException>(() => client.ReadHoldingRegistersAsync(1, 500, 2));
        Assert.Equal(ExceptionCode.IllegalDataAddress, refused.Code);
        Assert.Equal(new ushort[] { 1000 }, await client.ReadHoldingRegistersAsync(1, 0, 1));
    }

    [Fact]
    public async Task A_pymodbus_client_reads_and_writes_our_server()
    {
        if (!PymodbusAvailable()) return;
        var store = new ModbusDataStore();
        store.WriteDiscreteInputs(0, [true, false, true, true, false, false, false, true]);
        store.WriteInputRegisters(5, [50, 60, 70]);
        store.WriteHoldingRegisters(300, [11, 12]);
        await using var server = new ModbusTcpServer(store, new ModbusServerOptions { Port = 0 });
        server.Start();

        var (exit, output) = await ManagedProcess.RunAsync("/usr/bin/python3",
            [RepositoryPaths.Combine("tests", "peers", "modbus", "client.py"), server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output);
        using var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var root = result.RootElement;
        Assert.Equal([true, false, false, false, false, false, false, false, false, false, true, false, true, true], root.GetProperty("coils").EnumerateArray().Select(e => e.GetBoolean()));
        Assert.Equal([true, false, true, true, false, false, false, true], root.GetProperty("discrete_inputs").EnumerateArray().Select(e => e.GetBoolean()));
        Assert.Equal([4242, 1, 2, 65535], root.GetProperty("holding").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([50, 60, 70], root.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([7, 8], root.GetProperty("read_write").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(2, root.GetProperty("illegal_address").GetInt32());
        Span<ushort> written = stackalloc ushort[1];
        store.ReadHoldingRegisters(100, written);
        Assert.Equal(4242, written[0]);
    }

    private static bool PymodbusAvailable()
    {
        if (PeerPrograms.Require("python3", Hint, "/usr/bin/python3") is null) return false;
        var installed = Directory.Exists("/usr/lib/python3/dist-packages/pymodbus");
        if (!installed) Assert.Fail($"python3-pymodbus is missing; {Hint}. A missing peer fails rather than skips.");
        return installed;
    }

    private static async Task WaitForAsync(ModbusTcpClient client, ManagedProcess server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                await client.ReadHoldingRegistersAsync(1, 0, 1);
                return;
            }
            catch (ModbusProtocolException) when (DateTime.UtcNow < deadline && !server.HasExited)
            {
                await Task.Delay(200);
            }
            catch (ModbusProtocolException ex)
            {
                Assert.Fail($"pymodbus server did not answer: {ex.Message}\n{server.Output}");
            }
        }
    }
}
