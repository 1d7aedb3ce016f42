using ThermalPlant.Sensors.Settings;

namespace ThermalPlant.Sensors.Readings;

/// <summary>
/// Every sensor the service serves, with units and ranges. Vector lengths follow the audio settings in force,
/// so the catalog changes when <c>/audio/settings</c> does, and consumers rebuild their nodes from it.
/// </summary>
internal sealed class SensorCatalog(RuntimeSettings settings, int spectrumBands)
{
    private Built? _built;

    public IReadOnlyList<SensorDescriptor> Current
    {
        get
        {
            var mfccCount = settings.Audio.MfccCount;
            var built = Volatile.Read(ref _built);
            if (built is null || built.MfccCount != mfccCount)
            {
                built = new Built(mfccCount, Build(mfccCount, spectrumBands));
                Volatile.Write(ref _built, built);
            }
            return built.Sensors;
        }
    }

    public SensorDescriptor? Find(string sensor)
    {
        foreach (var descriptor in Current)
        {
            if (descriptor.Sensor == sensor) return descriptor;
        }
        return null;
    }

    private static SensorDescriptor[] Build(int mfccCount, int spectrumBands) =>
    [
        new() { Sensor = SensorIds.TemperatureUpper, Tag = "Temperature/Upper", Description = "Upper furnace temperature (type K thermocouple)", Unit = "degC", UneceCode = "CEL", RangeLow = -200, RangeHigh = 1350, Route = "/temperature/upper" },
        new() { Sensor = SensorIds.TemperatureLower, Tag = "Temperature/Lower", Description = "Lower furnace temperature (type K thermocouple)", Unit = "degC", UneceCode = "CEL", RangeLow = -200, RangeHigh = 1350, Route = "/temperature/lower" },
        new() { Sensor = SensorIds.Rpm, Tag = "RPM/MainShaft", Description = "Main shaft speed", Unit = "rpm", UneceCode = "RPM", RangeLow = 0, RangeHigh = 20000, Route = "/rpm" },
        new() { Sensor = SensorIds.Voltage, Tag = "Voltage/MainSupply", Description = "Main supply voltage", Unit = "V", UneceCode = "VLT", RangeLow = 0, RangeHigh = 60, Route = "/voltage" },
        new() { Sensor = SensorIds.Mfcc, Tag = "Audio/MFCC", Description = "Mel-frequency cepstral coefficients of the machine sound", Unit = "dB", UneceCode = "2N", Length = mfccCount, ElementPrefix = "Coefficient_", RangeLow = -2000, RangeHigh = 2000, Route = "/audio/mfcc" },
        new() { Sensor = SensorIds.Spectrum, Tag = "Audio/Spectrum", Description = "Mel spectrum of the machine sound", Unit = "dB", UneceCode = "2N", Length = spectrumBands, ElementPrefix = "Band_", RangeLow = -200, RangeHigh = 200, Route = "/audio/spectrum" },
        new() { Sensor = SensorIds.AudioLevel, Tag = "Audio/Level", Description = "Sound level (RMS) relative to full scale", Unit = "dBFS", UneceCode = "2N", RangeLow = -200, RangeHigh = 0, Route = "/audio/level" },
    ];

    private sealed record Built(int MfccCount, SensorDescriptor[] Sensors);
}
