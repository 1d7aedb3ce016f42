using ThermalPlant.Control.Links;
using ThermalPlant.PowerToGas.Calibration;

namespace ThermalPlant.PowerToGas;

/// <summary>
/// The control link from the methanation unit's hydrogen request to the PEM electrolyzer's current set point, with
/// the seed bridge's defaults: the set point at holding 0x8006, written only while the status word (0x8061) has
/// "H2 cooling temperature reached" (bit 10) set, at most 52 A, converted through the calibration table
/// <see cref="CalibrationFile"/>. Bound from configuration like <see cref="ControlLinkOptions"/>, plus the table's keys.
/// </summary>
public sealed class PemelLinkOptions : ControlLinkOptions
{
    /// <summary>Creates the options with the seed's defaults.</summary>
    public PemelLinkOptions()
    {
        Name = "pemel";
        Maximum = CalibrationTable.DefaultMaxCurrent;
        Target.SetPointAddress = PemelRegisterMap.CurrentSetPointAddress;
        Enable = new EnableConditionOptions
        {
            Name = PemelRegisterMap.CoolingTemperatureReached,
            Address = PemelRegisterMap.StatusAddress,
            Bit = PemelRegisterMap.CoolingTemperatureReachedBit,
        };
    }

    /// <summary>Path of the calibration table in the seed's text format.</summary>
    public string CalibrationFile { get; set; } = "";

    /// <summary>The calibration's MAX_CURRENT, amperes.</summary>
    public int MaxCurrent { get; set; } = CalibrationTable.DefaultMaxCurrent;

    /// <summary>The calibration's MIN_CURRENT, amperes.</summary>
    public int MinCurrent { get; set; } = CalibrationTable.DefaultMinCurrent;

    /// <summary>Reads and checks the calibration table (<see cref="FormatException"/> names the file, line and problem).</summary>
    public Task<CalibrationTable> LoadCalibrationAsync(CancellationToken cancellationToken) =>
        CalibrationTable.LoadAsync(CalibrationFile, MaxCurrent, MinCurrent, cancellationToken);

    /// <inheritdoc />
    public override void Validate(string prefix, ICollection<string> errors)
    {
        base.Validate(prefix, errors);
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(CalibrationFile)) errors.Add($"{prefix}:CalibrationFile must name the calibration table");
        if (MinCurrent < 0 || MaxCurrent < MinCurrent) errors.Add($"{prefix}:MinCurrent and MaxCurrent need 0 <= MinCurrent <= MaxCurrent");
    }
}
