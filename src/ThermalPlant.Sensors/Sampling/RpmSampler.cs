using ThermalPlant.Sensors.Devices;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Settings;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>
/// Samples shaft speed and publishes the mean of the last <see cref="RpmSettings.MeasurementWindow"/> samples;
/// Uncertain until the window holds <see cref="RpmSettings.SampleSize"/> samples.
/// </summary>
internal sealed class RpmSampler(
    PlantDevices devices,
    RuntimeSettings settings,
    ReadingPublisher publisher,
    TimeProvider time,
    ILogger<RpmSampler> logger) : SamplerService(time, logger)
{
    private readonly Queue<double> _window = new();

    protected override TimeSpan Interval => TimeSpan.FromSeconds(settings.Rpm.MeasurementInterval);

    protected override ValueTask SampleAsync(CancellationToken cancellationToken)
    {
        var current = settings.Rpm;
        double rpm;
        try
        {
            rpm = devices.Tachometer.ReadRpm();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _window.Clear();
            publisher.Bad(SensorIds.Rpm, Faults.DeviceError, ex.Message);
            return ValueTask.CompletedTask;
        }
        _window.Enqueue(rpm);
        while (_window.Count > current.MeasurementWindow)
        {
            _window.Dequeue();
        }
        var mean = _window.Average();
        publisher.Good(SensorIds.Rpm, mean, _window.Count >= current.SampleSize ? SensorQuality.Good : SensorQuality.Uncertain);
        return ValueTask.CompletedTask;
    }
}
