using ThermalPlant.Sensors.Devices;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Simulation;

/// <summary>The shaft speed as a pulse counter over a one-second window would measure it.</summary>
internal sealed class SimulatedTachometer(PlantModel plant) : ITachometer
{
    public double ReadRpm() => plant.ReadTachometerRpm();
}
