namespace ThermalPlant.Simulation;

/// <summary>
/// Receives the plant's signals as an OPC UA client of the suite's server receives them: a data change only when a
/// value or its quality changed, each with its source timestamp; <c>good</c> false for a reading the sensors service
/// publishes as bad (the server's BadSensorFailure).
/// </summary>
public interface IPlantSignals
{
    /// <summary><c>Plant/Temperature/Upper</c>, degC.</summary>
    void UpperTemperature(DateTime timestampUtc, double celsius, bool good);

    /// <summary><c>Plant/Temperature/Lower</c>, degC.</summary>
    void LowerTemperature(DateTime timestampUtc, double celsius, bool good);

    /// <summary><c>Plant/RPM/MainShaft</c>, rpm.</summary>
    void ShaftSpeed(DateTime timestampUtc, double rpm, bool good);

    /// <summary><c>Plant/Voltage/MainSupply</c>, V.</summary>
    void SupplyVoltage(DateTime timestampUtc, double volts, bool good);

    /// <summary><c>Plant/Audio/Spectrum/Band_N</c> for every N, dB.</summary>
    void Spectrum(DateTime timestampUtc, ReadOnlySpan<double> bandsDb);
}
