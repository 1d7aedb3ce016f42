using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Tests.Devices;

public sealed class Ads1115Tests
{
    [Theory]
    [InlineData(Ads1115Gain.FullScale6144mV, 0b000)]
    [InlineData(Ads1115Gain.FullScale4096mV, 0b001)]
    [InlineData(Ads1115Gain.FullScale2048mV, 0b010)]
    [InlineData(Ads1115Gain.FullScale1024mV, 0b011)]
    [InlineData(Ads1115Gain.FullScale512mV, 0b100)]
    [InlineData(Ads1115Gain.FullScale256mV, 0b101)]
    public void Config_word_carries_the_range(Ads1115Gain gain, int pga)
    {
        var word = Ads1115.ConfigWord(Ads1115Input.Ain0, gain, Ads1115DataRate.Sps860);
        // OS=1, MUX=100 (AIN0/GND), PGA, MODE=1 (single shot), DR=111, comparator disabled (11).
        Assert.Equal(0x8000 | (0b100 << 12) | (pga << 9) | 0x0100 | (0b111 << 5) | 0b11, word);
    }

    [Theory]
    [InlineData(Ads1115Input.Ain0MinusAin1, Ads1115DataRate.Sps8, 0x8303)]
    [InlineData(Ads1115Input.Ain3, Ads1115DataRate.Sps128, 0xF383)]
    public void Config_word_carries_input_and_rate(Ads1115Input input, Ads1115DataRate rate, int expected) =>
        Assert.Equal(expected, Ads1115.ConfigWord(input, Ads1115Gain.FullScale4096mV, rate));

    [Fact]
    public void Reading_scales_by_range_and_divider()
    {
        var adc = new FakeAds1115 { InputVolts = 2.2 };
        var driver = new Ads1115(adc, new Ads1115Settings { DividerRatio = 11 }, _ => { });
        Assert.Equal(24.2, driver.ReadVolts(), 2);
        Assert.Equal(Ads1115.ConfigWord(Ads1115Input.Ain0, Ads1115Gain.FullScale4096mV, Ads1115DataRate.Sps860), adc.ConfigWrites.Single());
    }

    [Fact]
    public void Negative_differential_input_reads_negative()
    {
        var adc = new FakeAds1115 { InputVolts = -0.1 };
        var driver = new Ads1115(adc, new Ads1115Settings { Input = Ads1115Input.Ain0MinusAin1, Gain = Ads1115Gain.FullScale256mV }, _ => { });
        Assert.Equal(-0.1, driver.ReadVolts(), 4);
    }

    [Fact]
    public void Without_auto_gain_a_clipped_conversion_is_what_the_chip_says()
    {
        var adc = new FakeAds1115 { InputVolts = 3.0 };
        var driver = new Ads1115(adc, new Ads1115Settings { Gain = Ads1115Gain.FullScale2048mV }, _ => { });
        Assert.Equal(2.048, driver.ReadVolts(), 3);
    }

    [Fact]
    public void Auto_gain_steps_up_when_saturated_and_never_reports_a_clipped_value()
    {
        var adc = new FakeAds1115 { InputVolts = 3.0 };
        var driver = new Ads1115(adc, new Ads1115Settings { Gain = Ads1115Gain.FullScale1024mV, AutoGain = true }, _ => { });
        Assert.Equal(3.0, driver.ReadVolts(), 3);
        Assert.Equal(Ads1115Gain.FullScale4096mV, driver.CurrentGain);
        Assert.Equal(3, adc.ConfigWrites.Count);
    }

    [Fact]
    public void Auto_gain_narrows_only_with_headroom()
    {
        var adc = new FakeAds1115 { InputVolts = 0.3 };
        var driver = new Ads1115(adc, new Ads1115Settings { Gain = Ads1115Gain.FullScale4096mV, AutoGain = true }, _ => { });
        for (var i = 0; i < 6; i++) Assert.Equal(0.3, driver.ReadVolts(), 3);
        // 0.3 V fits 0.512 V with headroom, not 0.256 V.
        Assert.Equal(Ads1115Gain.FullScale512mV, driver.CurrentGain);
        adc.InputVolts = 1.5;
        Assert.Equal(1.5, driver.ReadVolts(), 3);
    }

    [Fact]
    public void Over_range_even_at_the_widest_range_is_a_device_error()
    {
        var adc = new FakeAds1115 { InputVolts = 7 };
        var driver = new Ads1115(adc, new Ads1115Settings { Gain = Ads1115Gain.FullScale6144mV, AutoGain = true }, _ => { });
        Assert.Throws<DeviceException>(() => driver.ReadVolts());
    }

    [Theory]
    [InlineData(Ads1115DataRate.Sps8, 125.0)]
    [InlineData(Ads1115DataRate.Sps860, 1.163)]
    public void The_bus_is_polled_only_after_one_sample_period(Ads1115DataRate rate, double milliseconds)
    {
        var adc = new FakeAds1115 { InputVolts = 1, BusyPolls = 0 };
        var sleeps = new List<TimeSpan>();
        var driver = new Ads1115(adc, new Ads1115Settings { DataRate = rate }, sleeps.Add);
        driver.ReadVolts();
        Assert.Equal(milliseconds, sleeps[0].TotalMilliseconds, 0.001);
        Assert.Single(sleeps);
    }

    [Fact]
    public void A_conversion_that_never_finishes_is_a_device_error()
    {
        var adc = new FakeAds1115 { InputVolts = 1, BusyPolls = 1000 };
        var driver = new Ads1115(adc, new Ads1115Settings(), _ => { });
        Assert.Throws<DeviceException>(() => driver.ReadVolts());
    }

    [Fact]
    public void Settings_validation_names_the_key()
    {
        var errors = new List<string>();
        new Ads1115Settings { Address = 0x50, DividerRatio = 0 }.Validate("Sensors:Hardware:Voltage:", errors);
        Assert.Contains(errors, e => e.StartsWith("Sensors:Hardware:Voltage:Address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Sensors:Hardware:Voltage:DividerRatio", StringComparison.Ordinal));
    }
}
