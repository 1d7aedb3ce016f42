namespace ThermalPlant.Simulation;

/// <summary>Parameters of the simulated plant: a burner heating a furnace whose shaft drives a fan.</summary>
public sealed class SimulationOptions
{
    /// <summary>Seed of the noise, so a run can be reproduced.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Ambient temperature in degrees Celsius.</summary>
    public double AmbientCelsius { get; set; } = 20;

    /// <summary>Mean burner power in kW.</summary>
    public double BurnerPowerKw { get; set; } = 60;

    /// <summary>Shaft speed at no load, in rpm.</summary>
    public double NominalRpm { get; set; } = 1500;

    /// <summary>Nominal supply voltage in volts.</summary>
    public double SupplyVolts { get; set; } = 24;

    /// <summary>Peak-to-peak ripple of the supply in volts (at twice the 50 Hz mains frequency).</summary>
    public double RippleVolts { get; set; } = 0.1;

    /// <summary>Fan blades: the blade-pass tone sits at this multiple of the shaft frequency.</summary>
    public int BladeCount { get; set; } = 8;

    /// <summary>Faults present from the start (same shape as <c>POST /simulation/faults</c>).</summary>
    public List<FaultSpec> Faults { get; set; } = [];

    /// <summary>Adds a message per invalid setting to <paramref name="errors"/>, each starting with <paramref name="prefix"/>.</summary>
    public void Validate(string prefix, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!(AmbientCelsius is >= -50 and <= 60)) errors.Add($"{prefix}AmbientCelsius must be between -50 and 60");
        if (!(BurnerPowerKw is >= 0 and <= 200)) errors.Add($"{prefix}BurnerPowerKw must be between 0 and 200");
        if (!(NominalRpm is > 0 and <= 20000)) errors.Add($"{prefix}NominalRpm must be between 0 and 20000");
        if (!(SupplyVolts is > 0 and <= 60)) errors.Add($"{prefix}SupplyVolts must be between 0 and 60");
        if (!(RippleVolts is >= 0 and <= 5)) errors.Add($"{prefix}RippleVolts must be between 0 and 5");
        if (BladeCount is < 1 or > 64) errors.Add($"{prefix}BladeCount must be between 1 and 64");
        for (var i = 0; i < Faults.Count; i++)
        {
            foreach (var error in Faults[i].Validate())
            {
                errors.Add($"{prefix}Faults:{i}:{error}");
            }
        }
    }
}
