namespace ThermalPlant.Analytics.Diagnosis;

/// <summary>The machine components <see cref="PlantDiagnoser"/> reports on: stable names, used in NodeIds and alerts.</summary>
public static class PlantComponents
{
    /// <summary>The main shaft's bearing, diagnosed from the audio spectrum.</summary>
    public const string Bearing = "MainShaft.Bearing";

    /// <summary>The main shaft's speed control, diagnosed from the shaft speed.</summary>
    public const string Shaft = "MainShaft";

    /// <summary>The upper furnace thermocouple.</summary>
    public const string UpperThermocouple = "Temperature.Upper";

    /// <summary>The lower furnace thermocouple.</summary>
    public const string LowerThermocouple = "Temperature.Lower";

    /// <summary>The two thermocouples together: their disagreement before it is known which one is at fault.</summary>
    public const string Thermocouples = "Temperature";

    /// <summary>The main supply, diagnosed from its voltage.</summary>
    public const string Supply = "Supply";

    /// <summary>Every component, in the order <see cref="PlantDiagnoser.Diagnoses"/> lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Bearing, Shaft, UpperThermocouple, LowerThermocouple, Thermocouples, Supply];
}
