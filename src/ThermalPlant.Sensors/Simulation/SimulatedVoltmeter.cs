using ThermalPlant.Sensors.Devices;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Simulation;

/// <summary>The supply as an ADS1115 behind a divider would see it: DC level, 100 Hz ripple, noise, sags.</summary>
internal sealed class SimulatedVoltmeter(PlantModel plant) : IVoltmeter
{
    public double ReadVolts() => plant.ReadSupplyVolts();
}
