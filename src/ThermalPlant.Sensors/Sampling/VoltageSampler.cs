using ThermalPlant.Sensors.Devices;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Settings;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>Samples the supply voltage, averaging <see cref="VoltageSettings.Averaging"/> conversions per reading.</summary>
internal sealed class VoltageSampler(
    PlantDevices devices,
    RuntimeSettings settings,
    ReadingPublisher publisher,
    TimeProvider time,
    ILogger<VoltageSampler> logger) : SamplerService(time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(settings.Voltage.MeasurementInterval);

    protected override ValueTask SampleAsync(CancellationToken cancellationToken)
    {
        var count = settings.Voltage.Averaging;
        double sum = 0;
        try
        {
            for (var i = 0; i < count; i++)
            {
                sum += devices.Voltmeter.ReadVolts();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            publisher.Bad(SensorIds.Voltage, Faults.DeviceError, ex.Message);
            return ValueTask.CompletedTask;
        }
        publisher.Good(SensorIds.Voltage, sum / count);
        return ValueTask.CompletedTask;
    }
}
