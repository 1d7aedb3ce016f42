using ThermalPlant.Sensors.Devices;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Settings;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>Samples the upper and lower thermocouples; a fault bit or bus error makes that reading bad, with the reason.</summary>
internal sealed class TemperatureSampler(
    PlantDevices devices,
    RuntimeSettings settings,
    ReadingPublisher publisher,
    TimeProvider time,
    ILogger<TemperatureSampler> logger) : SamplerService(time, logger)
{
    /// <summary>The MAX31855's measurable range for type K.</summary>
    private const double MinCelsius = -200, MaxCelsius = 1350;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(settings.Temperature.MeasurementInterval);

    protected override ValueTask SampleAsync(CancellationToken cancellationToken)
    {
        Sample(SensorIds.TemperatureUpper, devices.Upper);
        Sample(SensorIds.TemperatureLower, devices.Lower);
        return ValueTask.CompletedTask;
    }

    private void Sample(string sensor, IThermocouple thermocouple)
    {
        ThermocoupleReading reading;
        try
        {
            reading = thermocouple.Read();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            publisher.Bad(sensor, Faults.DeviceError, ex.Message);
            return;
        }
        if (reading.Fault != ThermocoupleFault.None)
        {
            publisher.Bad(sensor, FaultName(reading.Fault), $"converter reports {reading.Fault}");
        }
        else if (reading.Celsius is < MinCelsius or > MaxCelsius || double.IsNaN(reading.Celsius))
        {
            publisher.Bad(sensor, Faults.OutOfRange, $"{reading.Celsius} degC is outside {MinCelsius}..{MaxCelsius} degC");
        }
        else
        {
            publisher.Good(sensor, reading.Celsius);
        }
    }

    private static string FaultName(ThermocoupleFault fault) =>
        fault.HasFlag(ThermocoupleFault.OpenCircuit) ? Faults.OpenCircuit
        : fault.HasFlag(ThermocoupleFault.ShortToGround) ? Faults.ShortToGround
        : Faults.ShortToVcc;
}
