using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Simulation;

/// <summary>The supply as an ADS1115 behind a divider would see it: DC level, 100 Hz ripple, noise, sags.</summary>
internal sealed class SimulatedVoltmeter(PlantModel plant) : IVoltmeter
{
    public double ReadVolts()
    {
        var state = plant.Sample();
        var ripple = plant.Options.RippleVolts / 2 * Math.Sin(2 * Math.PI * 100 * state.Seconds);
        return state.SupplyVolts + ripple + plant.Noise(0.005);
    }
}
