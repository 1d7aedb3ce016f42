using System.Device.Gpio;

namespace ThermalPlant.Sensors.Devices;

/// <summary>A pulse pickup on a GPIO pin: every configured edge is a pulse for the <see cref="PulseRateMeter"/>.</summary>
public sealed class HallTachometer : ITachometer, IDisposable
{
    private readonly GpioController _gpio;
    private readonly int _pin;
    private readonly PulseRateMeter _meter;

    /// <summary>
    /// Opens the pin as an input (with pull-up if configured) and subscribes to its edges; the tachometer owns
    /// <paramref name="gpio"/> from then on and disposes it.
    /// </summary>
    public HallTachometer(GpioController gpio, TachometerSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(gpio);
        ArgumentNullException.ThrowIfNull(settings);
        _gpio = gpio;
        _pin = settings.Pin;
        _meter = new PulseRateMeter(settings, time);
        gpio.OpenPin(_pin, settings.PullUp ? PinMode.InputPullUp : PinMode.Input);
        gpio.RegisterCallbackForPinValueChangedEvent(_pin, settings.Edges, OnEdge);
    }

    /// <inheritdoc />
    public double ReadRpm() => _meter.ReadRpm();

    /// <inheritdoc />
    public void Dispose()
    {
        _gpio.UnregisterCallbackForPinValueChangedEvent(_pin, OnEdge);
        _gpio.ClosePin(_pin);
        _gpio.Dispose();
    }

    private void OnEdge(object sender, PinValueChangedEventArgs args) => _meter.OnPulse();
}
