using ThermalPlant.Sensors.Devices;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Simulation;

/// <summary>A MAX31855 on the simulated furnace: 0.25 degC resolution, open-circuit, stuck and drift faults when injected.</summary>
internal sealed class SimulatedThermocouple(PlantModel plant, bool upper) : IThermocouple
{
    public ThermocoupleReading Read()
    {
        var sample = plant.ReadThermocouple(upper);
        return sample.Open
            ? new ThermocoupleReading(0, 25, ThermocoupleFault.OpenCircuit)
            : new ThermocoupleReading(sample.Celsius, 25, ThermocoupleFault.None);
    }
}
