using System.Collections.Concurrent;
using System.Text.Json;
using ThermalPlant.Sensors.Api;

namespace ThermalPlant.Sensors.Readings;

/// <summary>
/// The latest reading of every sensor, with its JSON already encoded: samplers publish, requests only copy
/// bytes, so request load never reaches a bus and costs no serialization.
/// </summary>
internal sealed class ReadingStore
{
    private readonly ConcurrentDictionary<string, StoredReading> _latest = new(StringComparer.Ordinal);

    /// <summary>Replaces the latest reading of its sensor.</summary>
    public void Publish(Reading reading)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(reading, SensorsJsonContext.Default.Reading);
        _latest[reading.Sensor] = new StoredReading(reading, json);
    }

    /// <summary>The latest reading of <paramref name="sensor"/>, if it was sampled yet.</summary>
    public StoredReading? Get(string sensor) => _latest.TryGetValue(sensor, out var stored) ? stored : null;

    /// <summary>Every latest reading, in catalog order as given by <paramref name="catalog"/>.</summary>
    public List<StoredReading> Snapshot(IReadOnlyList<SensorDescriptor> catalog)
    {
        var result = new List<StoredReading>(catalog.Count);
        foreach (var descriptor in catalog)
        {
            if (_latest.TryGetValue(descriptor.Sensor, out var stored))
            {
                result.Add(stored);
            }
        }
        return result;
    }
}
