using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;

namespace ThermalPlant.Sensors.Devices;

/// <summary>Opens the Raspberry Pi's buses as <see cref="HardwareSettings"/> describes and builds the drivers.</summary>
internal static class HardwareDevices
{
    public static PlantDevices Open(HardwareSettings settings, int sampleRate, TimeProvider time) => new(
        OpenThermocouple(settings.Upper),
        OpenThermocouple(settings.Lower),
        new HallTachometer(new GpioController(), settings.Tachometer, time),
        new Ads1115(I2cDevice.Create(new I2cConnectionSettings(settings.Voltage.BusId, settings.Voltage.Address)), settings.Voltage),
        OpenAudio(settings.Audio, sampleRate, time));

    private static IThermocouple OpenThermocouple(ThermocoupleSettings settings)
    {
        var spi = SpiDevice.Create(new SpiConnectionSettings(settings.BusId, settings.ChipSelectLine)
        {
            ClockFrequency = settings.ClockFrequency,
            Mode = SpiMode.Mode0,
        });
        return settings.Chip == ThermocoupleChip.Max6675 ? new Max6675(spi) : new Max31855(spi);
    }

    private static IAudioSource OpenAudio(AudioCaptureSettings settings, int sampleRate, TimeProvider time) => settings.Source switch
    {
        AudioSourceKind.WavFile => new WavFileSource(MatchingRate(WavFile.Parse(File.ReadAllBytes(settings.WavPath)), sampleRate, settings.WavPath), time, settings.Loop),
        _ => new AlsaCapture(settings.Device.Length > 0 ? settings.Device : AlsaCapture.FindUsbDevice(), sampleRate, settings.ArecordPath),
    };

    // The analysis' mel scale is built for the configured rate; a file at another rate would be mislabelled.
    private static WavFile MatchingRate(WavFile file, int sampleRate, string path) => file.SampleRate == sampleRate
        ? file
        : throw new InvalidDataException($"{path} is sampled at {file.SampleRate} Hz; Sensors:AudioFeatures:SampleRate is {sampleRate} Hz");
}
