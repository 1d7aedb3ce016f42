using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Sampling;
using ThermalPlant.Sensors.Settings;

namespace ThermalPlant.Sensors.Api;

/// <summary><c>/sensors</c>: the catalog, with a version that changes whenever the catalog does.</summary>
internal sealed record CatalogDocument(string Version, IReadOnlyList<SensorDescriptor> Sensors);

/// <summary><c>/status</c>: mode, uptime and every sensor's health.</summary>
internal sealed record StatusDocument(SensorsMode Mode, DateTimeOffset StartedAt, double UptimeSeconds, IReadOnlyList<DeviceHealth> Devices);

/// <summary><c>/temperature</c>: both thermocouples.</summary>
internal sealed record TemperatureDocument(Reading? Upper, Reading? Lower);

/// <summary><c>GET /settings</c>: every sampling setting in force.</summary>
internal sealed record SettingsDocument(TemperatureSettings Temperature, RpmSettings Rpm, VoltageSettings Voltage, AudioSettings Audio);

/// <summary>The original build's <c>/health/&lt;check&gt;</c> answer.</summary>
internal sealed record LegacyHealth(string Status, string Sensor, string? Fault, DateTimeOffset? LastSuccess);

/// <summary>The original build's <c>/audio</c> answer: both feature sets and a status.</summary>
internal sealed record LegacyAudioDocument(Dictionary<string, double>? Mfcc, Dictionary<string, double>? Spectrum, string Status);
