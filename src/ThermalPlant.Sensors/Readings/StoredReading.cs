namespace ThermalPlant.Sensors.Readings;

/// <summary>A published reading and its UTF-8 JSON encoding.</summary>
internal sealed record StoredReading(Reading Reading, byte[] Json);
