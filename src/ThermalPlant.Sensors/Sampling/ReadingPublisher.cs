using Prometheus;
using ThermalPlant.Sensors.Readings;

namespace ThermalPlant.Sensors.Sampling;

/// <summary>Turns a sampler's result into a published reading, and keeps health and metrics in step with it.</summary>
/// <remarks>Health is recorded before the reading is published, so a client that sees a reading never sees the health of the sample before it.</remarks>
internal sealed partial class ReadingPublisher(
    ReadingStore store,
    SensorCatalog catalog,
    DeviceHealthRegistry health,
    TimeProvider time,
    ILogger<ReadingPublisher> logger)
{
    private static readonly Gauge Value = Metrics.CreateGauge(
        "thermalplant_sensors_value", "Latest good value of each scalar sensor, in its unit.", "sensor");

    public void Good(string sensor, double value, SensorQuality quality = SensorQuality.Good)
    {
        var now = time.GetUtcNow();
        var reading = Base(sensor, now) with { Value = value, Quality = quality };
        RecordSuccess(sensor, now);
        store.Publish(reading);
        Value.WithLabels(sensor).Set(value);
    }

    public void Vector(string sensor, double[] values, IReadOnlyDictionary<string, double> parameters)
    {
        var now = time.GetUtcNow();
        var reading = Base(sensor, now) with { Values = values, Parameters = parameters, Quality = SensorQuality.Good };
        RecordSuccess(sensor, now);
        store.Publish(reading);
    }

    public void Bad(string sensor, string fault, string message)
    {
        var now = time.GetUtcNow();
        var reading = Base(sensor, now) with { Quality = SensorQuality.Bad, Fault = fault };
        var previous = health.Get(sensor);
        // Log the transition into a fault, not every failed sample of a sensor that stays broken.
        if (previous is null || previous.Healthy || previous.LastFault != fault)
        {
            LogSensorBad(sensor, fault, message);
        }
        health.RecordFailure(sensor, fault, message, now);
        store.Publish(reading);
    }

    private void RecordSuccess(string sensor, DateTimeOffset now)
    {
        if (health.Get(sensor) is { Healthy: false } previous)
        {
            LogSensorRecovered(sensor, previous.ConsecutiveFailures);
        }
        health.RecordSuccess(sensor, now);
    }

    private Reading Base(string sensor, DateTimeOffset now)
    {
        var descriptor = catalog.Find(sensor) ?? throw new InvalidOperationException($"Sensor '{sensor}' is not in the catalog.");
        return new Reading { Sensor = sensor, Tag = descriptor.Tag, Unit = descriptor.Unit, Timestamp = now, Quality = SensorQuality.Bad };
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Sensor {Sensor} reads bad ({Fault}): {Detail}. Its readings are marked bad; sampling goes on and it recovers by itself when the device answers")]
    private partial void LogSensorBad(string sensor, string fault, string detail);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Sensor {Sensor} reads good again after {Failures} failed samples")]
    private partial void LogSensorRecovered(string sensor, int failures);
}
