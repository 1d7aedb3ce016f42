using System.Buffers.Binary;
using System.Device.I2c;

namespace ThermalPlant.Sensors.Devices;

/// <summary>
/// ADS1115 16-bit ADC on I2C in single-shot mode: writes the config register (OS=1 starts a conversion, MUX,
/// PGA, MODE=single, DR, comparator disabled), polls OS until the conversion is done, reads the conversion
/// register (big-endian signed) and scales it by the range and the divider ratio. With automatic gain a
/// saturated conversion is never reported: the range steps up and the conversion is repeated.
/// </summary>
public sealed class Ads1115 : IVoltmeter, IDisposable
{
    private const byte ConversionRegister = 0x00;
    private const byte ConfigRegister = 0x01;
    private const ushort StartSingleShot = 0x8000;
    private const ushort SingleShotMode = 0x0100;
    private const ushort ComparatorDisabled = 0x0003;
    // Polls at 1 ms after the nominal conversion time: the chip's oscillator is within 10 %, so 8 SPS ends within
    // 13 ms more; this bound only catches a chip that never finishes.
    private const int MaxPolls = 250;
    // A conversion within 1 % of full scale may be clipped.
    private const int SaturationCode = 32440;

    private readonly I2cDevice _device;
    private readonly Ads1115Settings _settings;
    private readonly Action<TimeSpan> _sleep;
    private Ads1115Gain _gain;

    /// <summary>Creates the driver; <paramref name="sleep"/> waits between polls (tests pass a no-op).</summary>
    public Ads1115(I2cDevice device, Ads1115Settings settings, Action<TimeSpan>? sleep = null)
    {
        _device = device;
        _settings = settings;
        _gain = settings.Gain;
        _sleep = sleep ?? Thread.Sleep;
    }

    /// <summary>The range of the last conversion.</summary>
    public Ads1115Gain CurrentGain => _gain;

    /// <inheritdoc />
    public double ReadVolts()
    {
        var code = Convert(_gain);
        if (_settings.AutoGain)
        {
            while (Math.Abs((int)code) >= SaturationCode)
            {
                if (_gain == Ads1115Gain.FullScale6144mV)
                {
                    throw new DeviceException($"ADS1115 input beyond +-6.144 V (code {code}) even at the widest range");
                }
                _gain = Wider(_gain);
                code = Convert(_gain);
            }
            var volts = Volts(code, _gain);
            // Narrow the range for the next conversion only when the signal fits it with 20 % headroom.
            if (_gain != Ads1115Gain.FullScale256mV && Math.Abs(volts) < 0.8 * FullScale(Narrower(_gain)))
            {
                _gain = Narrower(_gain);
            }
            return volts * _settings.DividerRatio;
        }
        return Volts(code, _gain) * _settings.DividerRatio;
    }

    /// <summary>The config word for a single-shot conversion at <paramref name="gain"/>.</summary>
    public static ushort ConfigWord(Ads1115Input input, Ads1115Gain gain, Ads1115DataRate rate) =>
        (ushort)(StartSingleShot | ((int)input << 12) | ((int)gain << 9) | SingleShotMode | ((int)rate << 5) | ComparatorDisabled);

    /// <summary>Full-scale voltage of a range.</summary>
    public static double FullScale(Ads1115Gain gain) => gain switch
    {
        Ads1115Gain.FullScale6144mV => 6.144,
        Ads1115Gain.FullScale4096mV => 4.096,
        Ads1115Gain.FullScale2048mV => 2.048,
        Ads1115Gain.FullScale1024mV => 1.024,
        Ads1115Gain.FullScale512mV => 0.512,
        _ => 0.256,
    };

    /// <inheritdoc />
    public void Dispose() => _device.Dispose();

    /// <summary>One sample period at <paramref name="rate"/>, the nominal time a single-shot conversion takes.</summary>
    public static TimeSpan ConversionTime(Ads1115DataRate rate) => TimeSpan.FromSeconds(1.0 / rate switch
    {
        Ads1115DataRate.Sps8 => 8,
        Ads1115DataRate.Sps16 => 16,
        Ads1115DataRate.Sps32 => 32,
        Ads1115DataRate.Sps64 => 64,
        Ads1115DataRate.Sps128 => 128,
        Ads1115DataRate.Sps250 => 250,
        Ads1115DataRate.Sps475 => 475,
        _ => 860,
    });

    private ushort ReadConfig(Span<byte> register)
    {
        _device.WriteRead([ConfigRegister], register);
        return BinaryPrimitives.ReadUInt16BigEndian(register);
    }

    private static double Volts(short code, Ads1115Gain gain) => code * FullScale(gain) / 32768.0;

    private static Ads1115Gain Wider(Ads1115Gain gain) => gain - 1;

    private static Ads1115Gain Narrower(Ads1115Gain gain) => gain + 1;

    private short Convert(Ads1115Gain gain)
    {
        var config = ConfigWord(_settings.Input, gain, _settings.DataRate);
        Span<byte> write = stackalloc byte[3];
        write[0] = ConfigRegister;
        BinaryPrimitives.WriteUInt16BigEndian(write[1..], config);
        _device.Write(write);

        Span<byte> register = stackalloc byte[2];
        // The conversion cannot be done before one sample period (125 ms at 8 SPS): polling earlier only loads the bus.
        _sleep(ConversionTime(_settings.DataRate));
        var done = (ReadConfig(register) & StartSingleShot) != 0;
        for (var poll = 0; poll < MaxPolls && !done; poll++)
        {
            _sleep(TimeSpan.FromMilliseconds(1));
            done = (ReadConfig(register) & StartSingleShot) != 0;
        }
        if (!done)
        {
            throw new DeviceException($"ADS1115 did not finish a conversion within {MaxPolls} polls");
        }
        _device.WriteRead([ConversionRegister], register);
        return BinaryPrimitives.ReadInt16BigEndian(register);
    }
}
