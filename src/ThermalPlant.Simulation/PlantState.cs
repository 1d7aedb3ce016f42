namespace ThermalPlant.Simulation;

/// <summary>The simulated plant at one instant.</summary>
/// <param name="Seconds">Seconds since the simulation started.</param>
/// <param name="UpperCelsius">Upper furnace temperature.</param>
/// <param name="LowerCelsius">Lower furnace temperature.</param>
/// <param name="Rpm">Shaft speed (with any hunting).</param>
/// <param name="SupplyVolts">Supply voltage without ripple, after any sag.</param>
/// <param name="UpperOpen">The upper thermocouple is broken.</param>
/// <param name="LowerOpen">The lower thermocouple is broken.</param>
/// <param name="Wear">Bearing wear tones: (shaft order, amplitude relative to full scale).</param>
/// <param name="RippleVolts">Supply ripple, volts peak to peak, with any injected.</param>
public sealed record PlantState(
    double Seconds,
    double UpperCelsius,
    double LowerCelsius,
    double Rpm,
    double SupplyVolts,
    bool UpperOpen,
    bool LowerOpen,
    IReadOnlyList<(double Order, double Amplitude)> Wear,
    double RippleVolts);
