using Microsoft.Extensions.Time.Testing;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.Modbus.Maps;
using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas;
using ThermalPlant.PowerToGas.Calibration;
using ThermalPlant.Testing;

namespace ThermalPlant.Electrolyzer.Tests;

/// <summary>The simulated PEMEL's model on a stepped clock: flow response, cooler and status bit 10, register layout.</summary>
public sealed class PemelSimulatorTests
{
    private static readonly CalibrationTable Table = CalibrationTable.Load(RepositoryPaths.Combine("src", "ThermalPlant.Electrolyzer", "Calibration", "pemel-calibration.txt"));

    [Fact]
    public void The_flow_follows_the_calibration_curve_with_a_first_order_response()
    {
        var (simulator, store, time) = Create(new ElectrolyzerOptions { FlowTimeConstant = TimeSpan.FromSeconds(10) });
        store.WriteHoldingRegisters(PemelRegisterMap.CurrentSetPointAddress, [47]);
        time.Advance(TimeSpan.FromSeconds(10));
        simulator.Update();
        var target = (double)Table.ToFlow(47);
        Assert.Equal(target * (1 - Math.Exp(-1)), simulator.H2Flow, 6);
        time.Advance(TimeSpan.FromSeconds(100));
        simulator.Update();
        Assert.Equal(target, simulator.H2Flow, 3);
        Assert.Equal((ushort)Math.Round(target), Read(store, PemelRegisterMap.ProcessValuesAddress + 6));
        Assert.Equal(47, Read(store, PemelRegisterMap.ProcessValuesAddress + 1));
    }

    [Fact]
    public void Below_the_minimum_current_nothing_is_produced_and_a_large_set_point_is_clamped()
    {
        var (simulator, store, time) = Create(new ElectrolyzerOptions());
        store.WriteHoldingRegisters(PemelRegisterMap.CurrentSetPointAddress, [6]);
        time.Advance(TimeSpan.FromMinutes(5));
        simulator.Update();
        Assert.Equal(0, simulator.H2Flow);
        store.WriteHoldingRegisters(PemelRegisterMap.CurrentSetPointAddress, [500]);
        simulator.Update();
        Assert.Equal(52, simulator.Current);
    }

    [Fact]
    public void Bit_10_is_set_when_the_cooler_is_cold_and_clears_with_hysteresis()
    {
        var options = new ElectrolyzerOptions { InitialCoolerTemperature = 20, HeatPerAmpere = 0.2 };
        var (simulator, store, time) = Create(options);
        Assert.Equal(0, Read(store, PemelRegisterMap.StatusAddress) & (1 << 10));

        time.Advance(TimeSpan.FromMinutes(5));
        simulator.Update();
        Assert.True(simulator.CoolingReached);
        Assert.NotEqual(0, Read(store, PemelRegisterMap.StatusAddress) & (1 << 10));
        var flags = RegisterDecoder.Decode(PemelRegisterMap.Create().Registers[0], [Read(store, PemelRegisterMap.StatusAddress)]).Flags!;
        Assert.True(flags["mode_automatic"]);
        Assert.True(flags[PemelRegisterMap.CoolingTemperatureReached]);

        // 52 A with 0.2 degC per ampere settles at 14.4 degC: above 10 + 2, so the bit clears, passing 11 degC on the way without clearing.
        store.WriteHoldingRegisters(PemelRegisterMap.CurrentSetPointAddress, [52]);
        var sawInsideHysteresis = false;
        for (var i = 0; i < 600 && simulator.CoolingReached; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            simulator.Update();
            if (simulator.CoolerTemperature is > 10 and <= 12) sawInsideHysteresis |= simulator.CoolingReached;
        }
        Assert.True(sawInsideHysteresis);
        Assert.False(simulator.CoolingReached);
        Assert.InRange(simulator.CoolerTemperature, 12, 14.4);
    }

    [Fact]
    public void The_base_offset_moves_the_whole_map()
    {
        var (simulator, store, _) = Create(new ElectrolyzerOptions { BaseAddress = -0x8000, InitialCoolerTemperature = 5 });
        store.WriteHoldingRegisters(0x0006, [21]);
        simulator.Update();
        Assert.Equal(21, simulator.Current);
        Assert.NotEqual(0, Read(store, 0x0061) & (1 << 10));
    }

    private static (PemelSimulator Simulator, ModbusDataStore Store, FakeTimeProvider Time) Create(ElectrolyzerOptions options)
    {
        var time = new FakeTimeProvider();
        var store = new ModbusDataStore();
        return (new PemelSimulator(options, Table, store, time), store, time);
    }

    private static ushort Read(ModbusDataStore store, int address)
    {
        Span<ushort> value = stackalloc ushort[1];
        store.ReadHoldingRegisters(address, value);
        return value[0];
    }
}
