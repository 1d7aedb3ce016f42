using System.Text.Json.Serialization;
using ThermalPlant.Sensors.Readings;
using ThermalPlant.Sensors.Sampling;
using ThermalPlant.Sensors.Settings;
using ThermalPlant.Simulation;

namespace ThermalPlant.Sensors.Api;

/// <summary>Source-generated JSON for every payload of the API, in snake_case with enums as strings.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(Reading))]
[JsonSerializable(typeof(CatalogDocument))]
[JsonSerializable(typeof(IReadOnlyList<SensorDescriptor>))]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(TemperatureDocument))]
[JsonSerializable(typeof(SettingsDocument))]
[JsonSerializable(typeof(RpmSettings))]
[JsonSerializable(typeof(VoltageSettings))]
[JsonSerializable(typeof(AudioSettings))]
[JsonSerializable(typeof(TemperatureSettings))]
[JsonSerializable(typeof(FaultSpec))]
[JsonSerializable(typeof(ActiveFault))]
[JsonSerializable(typeof(IReadOnlyList<ActiveFault>))]
[JsonSerializable(typeof(DeviceHealth))]
[JsonSerializable(typeof(LegacyHealth))]
[JsonSerializable(typeof(Dictionary<string, double>))]
[JsonSerializable(typeof(LegacyAudioDocument))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(string))]
internal sealed partial class SensorsJsonContext : JsonSerializerContext;
