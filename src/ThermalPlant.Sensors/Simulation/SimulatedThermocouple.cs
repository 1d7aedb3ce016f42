using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Simulation;

/// <summary>A MAX31855 on the simulated furnace: 0.25 degC resolution, open-circuit fault when injected.</summary>
internal sealed class SimulatedThermocouple(PlantModel plant, bool upper) : IThermocouple
{
    public ThermocoupleReading Read()
    {
        var state = plant.Sample();
        if (upper ? state.UpperOpen : state.LowerOpen)
        {
            return new ThermocoupleReading(0, 25, ThermocoupleFault.OpenCircuit);
        }
        var celsius = (upper ? state.UpperCelsius : state.LowerCelsius) + plant.Noise(0.3);
        return new ThermocoupleReading(Math.Round(celsius * 4) / 4, 25, ThermocoupleFault.None);
    }
}
