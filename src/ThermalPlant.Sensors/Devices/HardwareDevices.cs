using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;

namespace ThermalPlant.Sensors.Devices;

/// <summary>Opens the Raspberry Pi's buses as <see cref="HardwareSettings"/> describes and builds the drivers.</summary>
internal static class HardwareDevices
{
    /// <summary>
    /// Opens every device; when one cannot be opened (a bus missing, a pin taken) the ones already open are released
    /// before the error surfaces, so a retry or a switch to the simulation finds the buses free.
    /// </summary>
    public static PlantDevices Open(HardwareSettings settings, int sampleRate, TimeProvider time)
    {
        var opened = new List<object>();
        T Track<T>(T device) where T : class
        {
            opened.Add(device);
            return device;
        }
        try
        {
            var upper = Track(OpenThermocouple(settings.Upper, time));
            var lower = Track(OpenThermocouple(settings.Lower, time));
            var tachometer = Track(OpenTachometer(settings.Tachometer, time));
            var voltmeter = Track(new Ads1115(I2cDevice.Create(new I2cConnectionSettings(settings.Voltage.BusId, settings.Voltage.Address)), settings.Voltage));
            return new PlantDevices(upper, lower, tachometer, voltmeter, OpenAudio(settings.Audio, sampleRate, time));
        }
        catch
        {
            foreach (var device in opened) (device as IDisposable)?.Dispose();
            throw;
        }
    }

    private static HallTachometer OpenTachometer(TachometerSettings settings, TimeProvider time)
    {
        var gpio = new GpioController();
        try
        {
            return new HallTachometer(gpio, settings, time);
        }
        catch
        {
            gpio.Dispose();
            throw;
        }
    }

    private static IThermocouple OpenThermocouple(ThermocoupleSettings settings, TimeProvider time)
    {
        var spi = SpiDevice.Create(new SpiConnectionSettings(settings.BusId, settings.ChipSelectLine)
        {
            ClockFrequency = settings.ClockFrequency,
            Mode = SpiMode.Mode0,
        });
        return settings.Chip == ThermocoupleChip.Max6675 ? new Max6675(spi, time) : new Max31855(spi);
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
